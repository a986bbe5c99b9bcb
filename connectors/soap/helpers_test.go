package soap_test

import (
	"errors"

	"github.com/weftworks/weft/step"
)

func asCoded(err error, target **step.CodedError) bool { return errors.As(err, target) }
