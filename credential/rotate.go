package credential

import (
	"context"
	"fmt"

	"github.com/weftworks/weft/store"
)

// Rotate re-seals every credential (fields and tokens) under newKey, in one
// transaction: either all rows move to the new key or none does. old must
// open every row.
func Rotate(ctx context.Context, st store.Credentials, old *Keyring, newKey []byte) (int, error) {
	both, err := NewKeyring(append([][]byte{newKey}, old.raw()...)...)
	if err != nil {
		return 0, err
	}
	n, err := st.ResealCredentials(ctx, func(rec *store.CredentialRecord) error {
		plain, err := both.Open(rec.Sealed, []byte(rec.Name))
		if err != nil {
			return fmt.Errorf("credential %q: %w", rec.Name, err)
		}
		if rec.Sealed, err = both.Seal(plain, []byte(rec.Name)); err != nil {
			return err
		}
		if len(rec.Token) > 0 {
			tok, err := both.Open(rec.Token, []byte(rec.Name+"#token"))
			if err != nil {
				return fmt.Errorf("credential %q token: %w", rec.Name, err)
			}
			if rec.Token, err = both.Seal(tok, []byte(rec.Name+"#token")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("rotating the master key: %w", err)
	}
	return n, nil
}
