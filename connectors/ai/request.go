package ai

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// targets reads provider, model and fallback into the list of models to try.
func targets(in input.Reader, with map[string]any) ([]Target, error) {
	first := Target{}
	var err error
	if first.Provider, err = in.String("provider"); err != nil {
		return nil, err
	}
	if first.Model, err = in.String("model"); err != nil {
		return nil, err
	}
	if first.Credential, err = in.String("credential"); err != nil {
		return nil, err
	}
	if first.BaseURL, err = in.String("base_url"); err != nil {
		return nil, err
	}
	if first.APIKey, err = in.String("api_key"); err != nil {
		return nil, err
	}
	out := []Target{first}
	fb, _ := with["fallback"].([]any)
	for i, x := range fb {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, input.Invalid("fallback", "item %d must be an object with provider and model", i)
		}
		t := Target{}
		for k, dst := range map[string]*string{"provider": &t.Provider, "model": &t.Model, "credential": &t.Credential, "base_url": &t.BaseURL, "api_key": &t.APIKey} {
			if v, ok := m[k]; ok && v != nil {
				s, err := input.Scalar(v)
				if err != nil {
					return nil, input.Invalid("fallback", "item %d: %s must be a string", i, k)
				}
				*dst = s
			}
		}
		if t.Provider == "" || t.Model == "" {
			return nil, input.Invalid("fallback", "item %d needs provider and model", i)
		}
		out = append(out, t)
	}
	for i, t := range out {
		base := t.BaseURL
		if base == "" && t.Credential != "" {
			base = "from-credential" // the credential may hold base_url
		}
		if _, err := NewProvider(t.Provider, Endpoint{BaseURL: base}); err != nil {
			if i == 0 {
				return nil, input.Invalid("provider", "%v", err)
			}
			return nil, input.Invalid("fallback", "item %d: %v", i-1, err)
		}
	}
	return out, nil
}

// chatRequest builds the neutral request from the prompt fields.
func (s *Service) chatRequest(in input.Reader, with map[string]any) (ChatRequest, error) {
	var req ChatRequest
	var err error
	if req.System, err = in.String("system"); err != nil {
		return req, err
	}
	if msgs, ok := with["messages"].([]any); ok {
		for i, x := range msgs {
			m, ok := x.(map[string]any)
			if !ok {
				return req, input.Invalid("messages", "item %d must be an object with role and content", i)
			}
			role, _ := input.Scalar(m["role"])
			content, _ := input.Scalar(m["content"])
			switch role {
			case "system":
				req.System = joinNonEmpty(req.System, content)
				continue
			case "user", "assistant":
			default:
				return req, input.Invalid("messages", "item %d: role %q must be system, user or assistant", i, role)
			}
			msg := Message{Role: role, Content: content}
			if imgs, ok := m["images"].([]any); ok {
				if msg.Images, err = images("messages", imgs); err != nil {
					return req, err
				}
			}
			req.Messages = append(req.Messages, msg)
		}
	}
	prompt, err := in.String("prompt")
	if err != nil {
		return req, err
	}
	file, err := in.String("prompt_file")
	if err != nil {
		return req, err
	}
	if file != "" {
		if prompt != "" {
			return req, input.Invalid("prompt_file", "set prompt or prompt_file, not both")
		}
		vars, _ := with["vars"].(map[string]any)
		if prompt, err = s.promptFile(file, vars); err != nil {
			return req, err
		}
	}
	var imgs []Image
	if list, ok := with["images"].([]any); ok {
		if imgs, err = images("images", list); err != nil {
			return req, err
		}
	}
	if prompt != "" || len(imgs) > 0 {
		req.Messages = append(req.Messages, Message{Role: "user", Content: prompt, Images: imgs})
	}
	if len(req.Messages) == 0 {
		return req, input.Invalid("prompt", "set prompt, prompt_file or messages")
	}
	return req, params(in, with, &req)
}

// params reads temperature, max_tokens, stop and seed.
func params(in input.Reader, with map[string]any, req *ChatRequest) error {
	if v, ok := with["temperature"]; ok && v != nil {
		f, ok := input.ToFloat(v)
		if !ok || f < 0 || f > 2 {
			return input.Invalid("temperature", "must be a number from 0 to 2")
		}
		req.Temperature = &f
	}
	if in.Has("max_tokens") {
		n, err := in.Int("max_tokens")
		if err != nil {
			return err
		}
		req.MaxTokens = n
	}
	if in.Has("seed") {
		n, err := in.Int("seed")
		if err != nil {
			return err
		}
		s := int64(n)
		req.Seed = &s
	}
	if list, ok := with["stop"].([]any); ok {
		for _, x := range list {
			s, err := input.Scalar(x)
			if err != nil {
				return input.Invalid("stop", "must be a list of strings")
			}
			req.Stop = append(req.Stop, s)
		}
	}
	return nil
}

// images reads image URLs and data: URLs.
func images(field string, list []any) ([]Image, error) {
	var out []Image
	for i, x := range list {
		s, err := input.Scalar(x)
		if err != nil || s == "" {
			return nil, input.Invalid(field, "image %d must be a URL or a data: URL", i)
		}
		if rest, ok := strings.CutPrefix(s, "data:"); ok {
			meta, data, ok := strings.Cut(rest, ",")
			mt, isB64 := strings.CutSuffix(meta, ";base64")
			if !ok || !isB64 {
				return nil, input.Invalid(field, "image %d: a data: URL must look like data:image/png;base64,…", i)
			}
			out = append(out, Image{Data: data, MediaType: mt})
			continue
		}
		if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
			return nil, input.Invalid(field, "image %d must be an http(s) URL or a data: URL", i)
		}
		out = append(out, Image{URL: s, MediaType: mediaType(s)})
	}
	return out, nil
}

func mediaType(url string) string {
	switch strings.ToLower(filepath.Ext(strings.SplitN(url, "?", 2)[0])) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	}
	return "image/png"
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}`)

// promptFile reads a prompt file below PromptDir and fills its
// `{{ name }}` placeholders from vars. Prompt files hold long text; the
// expressions that compute the values live in the workflow's `vars`, where
// they are checked when the workflow is saved.
func (s *Service) promptFile(name string, vars map[string]any) (string, error) {
	if s.cfg.PromptDir == "" {
		return "", input.Invalid("prompt_file", "this process has no workflow directory to read prompt files from (start weft serve with --workflows)")
	}
	clean := filepath.Clean(name)
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", input.Invalid("prompt_file", "%q must be a path inside the workflow directory", name)
	}
	// Through an os.Root: a symlink inside the directory may not lead out of it.
	root, err := os.OpenRoot(s.cfg.PromptDir)
	if err != nil {
		return "", step.Errorf(input.CodeValidation, "field \"prompt_file\": opening the workflow directory: %v", err)
	}
	defer root.Close()
	b, err := root.ReadFile(clean)
	if err != nil {
		return "", step.Errorf(input.CodeValidation, "field \"prompt_file\": reading %s: %v", name, err)
	}
	var missing []string
	out := placeholder.ReplaceAllStringFunc(string(b), func(m string) string {
		key := placeholder.FindStringSubmatch(m)[1]
		var v any = vars
		for _, part := range strings.Split(key, ".") {
			mm, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v, ok = mm[part]
			if !ok {
				v = nil
				break
			}
		}
		if v == nil {
			missing = append(missing, key)
			return m
		}
		if s, err := input.Scalar(v); err == nil {
			return s
		}
		return fmt.Sprint(v)
	})
	if len(missing) > 0 {
		return "", input.Invalid("vars", "prompt file %s uses %s, which vars does not set", name, strings.Join(missing, ", "))
	}
	return out, nil
}

// cacheable decides whether a call may use the cache.
func cacheable(mode string, req *ChatRequest) bool {
	switch mode {
	case "on":
		return true
	case "off":
		return false
	}
	return req.Temperature != nil && *req.Temperature == 0
}
