// Package web serves Weft's single-page console (the visual builder and the
// operations pages). The TypeScript sources live in ui/; `npm run build`
// there writes the bundle into web/dist, which is committed so that
// `go run ./cmd/weft serve` needs no npm step. ui/scripts/check-bundle.sh
// fails CI when the committed bundle and a fresh build differ.
package web
