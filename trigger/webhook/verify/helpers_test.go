package verify_test

import (
	"bytes"
	"crypto/sha1"
	"hash"
	"io"
	"strings"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
func newSHA1() hash.Hash             { return sha1.New() }
func contains(s, sub string) bool    { return strings.Contains(s, sub) }
