package google_drive_test

import (
	"encoding/base64"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
	drive "github.com/weftworks/weft/connectors/apps/google_drive"
)

func TestUploadDownloadBinary(t *testing.T) {
	t.Parallel()
	f := drive.NewFake(t)
	c := apptest.Connections{"google_drive": {Type: "bearer", Data: map[string]string{"token": drive.Token}, BaseURL: f.URL}}
	reg := apptest.Registry(t)
	blob := []byte{0, 1, 2, 0xff, 'x'}
	r := apptest.Run(t, reg, c, "google_drive.upload", map[string]any{"name": "a.bin", "content": base64.StdEncoding.EncodeToString(blob), "content_encoding": "base64"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	id := r.Output.(map[string]any)["id"].(string)
	if string(f.Files[id]) != string(blob) || f.Meta[id] != "a.bin" {
		t.Fatalf("stored %q as %q", f.Files[id], f.Meta[id])
	}
	r = apptest.Run(t, reg, c, "google_drive.download", map[string]any{"file_id": id})
	out, _ := r.Output.(map[string]any)
	if r.Err != nil || out["body_encoding"] != "base64" || out["body"] != base64.StdEncoding.EncodeToString(blob) {
		t.Fatalf("download: %v %v", out, r.Err)
	}
}
