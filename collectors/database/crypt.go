package database

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"
)

// errDecrypt never carries the ciphertext, the key or any plaintext.
var errDecrypt = errors.New("does not decrypt with the management-server key (tried V2 AES-256-GCM and V1 PBEWithMD5AndDES)")

// decryptValue decrypts a CloudStack encrypted value the way the management
// server's encryptor does with no version pinned: V2 first (the GCM tag makes
// a success unambiguous), then V1. version "V1" or "V2" pins one.
func decryptValue(secret, b64, version string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", errors.New("is not Base64")
	}
	if version != "V1" {
		if s, err := decryptV2(secret, raw); err == nil {
			return s, nil
		}
		if version == "V2" {
			return "", errDecrypt
		}
	}
	return decryptV1(secret, raw)
}

// decryptV2 is AeadBase64Encryptor: key = SHA-256(secret), AES-256-GCM,
// IV (12 bytes) ‖ ciphertext ‖ tag, no associated data.
func decryptV2(secret string, raw []byte) (string, error) {
	k := sha256.Sum256([]byte(secret))
	blk, err := aes.NewCipher(k[:])
	if err != nil {
		return "", err
	}
	g, err := cipher.NewGCM(blk)
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
