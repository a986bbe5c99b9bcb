package ai

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed prices.json
var builtinPrices []byte

// Price is what a model costs in USD per million tokens. CachedInput applies
// to input tokens served from the provider's prompt cache; 0 means the
// input price.
type Price struct {
	Input       float64 `json:"input" yaml:"input"`
	Output      float64 `json:"output" yaml:"output"`
	CachedInput float64 `json:"cached_input,omitempty" yaml:"cached_input"`
}

// Prices maps model names (or name prefixes) to prices.
type Prices map[string]Price

// DefaultPrices returns the price table shipped in the binary.
func DefaultPrices() Prices {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(builtinPrices, &raw); err != nil {
		panic(fmt.Sprintf("ai: built-in prices.json: %v", err))
	}
	out := Prices{}
	for k, v := range raw {
		if strings.HasPrefix(k, "_") {
			continue
		}
		var p Price
		if err := json.Unmarshal(v, &p); err != nil {
			panic(fmt.Sprintf("ai: built-in prices.json %q: %v", k, err))
		}
		out[k] = p
	}
	return out
}

// With returns a copy of p with the entries of over added or replaced.
func (p Prices) With(over Prices) Prices {
	out := make(Prices, len(p)+len(over))
	for k, v := range p {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// Lookup finds the price of a model: an exact entry, else the longest
// entry that is a prefix of the name ("gpt-4o-mini-2024-07-18" → "gpt-4o-mini").
// A "models/" prefix (Gemini) is ignored.
func (p Prices) Lookup(model string) (Price, bool) {
	model = strings.TrimPrefix(model, "models/")
	if pr, ok := p[model]; ok {
		return pr, true
	}
	best, found := "", false
	for k := range p {
		if strings.HasPrefix(model, k) && len(k) > len(best) {
			best, found = k, true
		}
	}
	return p[best], found
}

// Cost returns the USD cost of usage on model, and whether the model has a
// price.
func (p Prices) Cost(model string, u Usage) (float64, bool) {
	pr, ok := p.Lookup(model)
	if !ok {
		return 0, false
	}
	cachedPrice := pr.CachedInput
	if cachedPrice == 0 {
		cachedPrice = pr.Input
	}
	fresh := u.InputTokens - u.CachedTokens
	if fresh < 0 {
		fresh = 0
	}
	cost := (float64(fresh)*pr.Input + float64(u.CachedTokens)*cachedPrice + float64(u.OutputTokens)*pr.Output) / 1e6
	return cost, true
}
