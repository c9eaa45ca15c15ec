package sshpool

import (
	"errors"
	"regexp"
)

var safePath = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)

// Quote is the one function that puts a configured value (a socket or file
// path) into a host command: it accepts only ^[A-Za-z0-9._/-]+$ and wraps the
// value in single quotes.
func Quote(v string) (string, error) {
	if !safePath.MatchString(v) {
		return "", errors.New("configured path has characters outside [A-Za-z0-9._/-]")
	}
	return "'" + v + "'", nil
}

var safeURI = regexp.MustCompile(`^[a-z0-9+]+://[A-Za-z0-9._/-]*$`)

// QuoteURI is Quote for a libvirt URI (libvirt.uri for the virsh fallback):
// scheme://path with the same character set, single-quoted.
func QuoteURI(v string) (string, error) {
	if !safeURI.MatchString(v) {
		return "", errors.New("configured URI has characters outside scheme://[A-Za-z0-9._/-]")
	}
	return "'" + v + "'", nil
}
