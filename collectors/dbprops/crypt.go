// Package dbprops reads CloudStack's db.properties and decrypts what the
// management server encrypts (ENC(...) values and encrypted columns, V2
// AES-256-GCM and V1 jasypt PBEWithMD5AndDES), and resolves csaudit's database
// connection from a DSN or, zero-config, from db.properties. It is shared by
// the database collector and the IPMI collector's opt-in credential read.
// Errors never quote a value, a key or a password.
package dbprops

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// errDecrypt never carries the ciphertext, the key or any plaintext.
var errDecrypt = errors.New("does not decrypt with the management-server key (tried V2 AES-256-GCM and V1 PBEWithMD5AndDES)")

// Decrypt decrypts a CloudStack encrypted value (db.properties ENC(...) contents
// or an encrypted column) the way the management server's encryptor does with
// no version pinned: V2 first (the GCM tag makes a success unambiguous), then
// V1. version "V1" or "V2" pins one.
func Decrypt(secret, b64, version string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", errors.New("is not Base64")
	}
	switch strings.ToUpper(strings.TrimSpace(version)) {
	case "V2":
		return decryptV2(secret, raw)
	case "V1":
		return decryptV1(secret, raw)
	case "":
		if s, err := decryptV2(secret, raw); err == nil {
			return s, nil
		}
		return decryptV1(secret, raw)
	default:
		return "", fmt.Errorf("unknown encryptor version %q (want V1 or V2)", version)
	}
}

// v2AEAD is V2's cipher: AES-256-GCM keyed with SHA-256 of the secret.
func v2AEAD(secret string) (cipher.AEAD, error) {
	k := sha256.Sum256([]byte(secret))
	blk, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

// decryptV2 is AeadBase64Encryptor: key = SHA-256(secret), AES-256-GCM,
// IV (12 bytes) ‖ ciphertext ‖ tag, no associated data.
func decryptV2(secret string, raw []byte) (string, error) {
	g, err := v2AEAD(secret)
	if err != nil {
		return "", err
	}
	if len(raw) < g.NonceSize()+g.Overhead() {
		return "", errDecrypt
	}
	pt, err := g.Open(nil, raw[:g.NonceSize()], raw[g.NonceSize():], nil)
	if err != nil || !utf8.Valid(pt) {
		return "", errDecrypt
	}
	return string(pt), nil
}

// decryptV1 is jasypt's StandardPBEStringEncryptor with PBEWithMD5AndDES:
// salt (8 bytes) ‖ DES-CBC ciphertext, key and IV from PBKDF1-MD5 with 1000
// iterations.
func decryptV1(secret string, raw []byte) (string, error) {
	if len(raw) < 16 || (len(raw)-8)%des.BlockSize != 0 {
		return "", errDecrypt
	}
	key, iv := pbkdf1MD5(secret, raw[:8], 1000)
	blk, err := des.NewCipher(key)
	if err != nil {
		return "", err
	}
	pt := make([]byte, len(raw)-8)
	cipher.NewCBCDecrypter(blk, iv).CryptBlocks(pt, raw[8:])
	n := int(pt[len(pt)-1])
	if n < 1 || n > des.BlockSize || !bytes.Equal(pt[len(pt)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return "", errDecrypt
	}
	pt = pt[:len(pt)-n]
	if !utf8.Valid(pt) {
		return "", errDecrypt
	}
	return string(pt), nil
}

// pbkdf1MD5 derives the DES key and IV as PKCS#5 v1.5 does. Java's PBEKey
// takes the low byte of each password char.
func pbkdf1MD5(secret string, salt []byte, iter int) (key, iv []byte) {
	var pw []byte
	for _, r := range secret {
		pw = append(pw, byte(r))
	}
	d := md5.Sum(append(pw, salt...))
	for i := 1; i < iter; i++ {
		d = md5.Sum(d[:])
	}
	return d[:8], d[8:16]
}

// Encrypt produces a value Decrypt and CloudStack's encryptor accept: V2
// (AES-256-GCM, random IV) unless version is "V1" (random salt). csaudit never
// writes encrypted values to CloudStack; this exists for test vectors and the
// lab generator.
func Encrypt(secret, plain, version string) (string, error) {
	if version == "V1" {
		salt := make([]byte, 8)
		if _, err := rand.Read(salt); err != nil {
			return "", err
		}
		key, iv := pbkdf1MD5(secret, salt, 1000)
		blk, err := des.NewCipher(key)
		if err != nil {
			return "", err
		}
		n := des.BlockSize - len(plain)%des.BlockSize
		pt := append([]byte(plain), bytes.Repeat([]byte{byte(n)}, n)...)
		ct := make([]byte, len(pt))
		cipher.NewCBCEncrypter(blk, iv).CryptBlocks(ct, pt)
		return base64.StdEncoding.EncodeToString(append(salt, ct...)), nil
	}
	g, err := v2AEAD(secret)
	if err != nil {
		return "", err
	}
	iv := make([]byte, g.NonceSize())
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(g.Seal(iv, iv, []byte(plain), nil)), nil
}
