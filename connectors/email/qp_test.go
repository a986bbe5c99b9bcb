package email_test

import (
	"io"
	"mime/quotedprintable"
)

func newQP(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }
