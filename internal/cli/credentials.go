package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/weftworks/weft/credential"
)

const credentialsUsage = "credentials set NAME --type T [--from-file F | --from-env VAR] [--workflows a,b] [--hosts h1,h2] [--limits JSON] [--retry JSON] [--description TEXT]\n" +
	"       weft credentials list [--json]\n" +
	"       weft credentials delete NAME\n" +
	"       weft credentials rotate-key [--data DIR] [--db URL] [--master-key-file F]\n\n" +
	"set reads the credential's fields as a JSON object from --from-file (\"-\" is stdin) or from the\n" +
	"environment variable --from-env (a JSON object, or the bare value of the type's one secret field).\n" +
	"Values are write-only: nothing prints them back. set, list and delete take --server URL and --token T;\n" +
	"rotate-key works on the database directly and needs the current master key."

func runCredentials(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(env.Stderr, "Usage: weft %s\n", credentialsUsage)
		return ExitError{Code: 2}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(env.Stdout, "Usage: weft %s\n", credentialsUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(env, "credentials "+sub, credentialsUsage)
	var (
		cf                                       clientFlags
		typ, fromFile, fromEnv, workflows, hosts string
		limits, retry, description, data, db     string
		keyFile                                  string
		asJSON                                   bool
	)
	switch sub {
	case "set":
		cf.register(fs)
		fs.stringVar(&typ, "type", "", "", "credential type: api_key, bearer, basic, oauth2_client_credentials, oauth2_code, jwt, mtls, webhook_secret, custom or none")
		fs.stringVar(&fromFile, "from-file", "", "", "JSON file with the fields (- reads stdin)")
		fs.stringVar(&fromEnv, "from-env", "", "", "environment variable holding the fields (JSON) or the one secret value")
		fs.stringVar(&workflows, "workflows", "", "", "comma-separated workflows allowed to use it (default *)")
		fs.stringVar(&hosts, "hosts", "", "", "comma-separated hosts it may be sent to, *.example.com allowed (default *)")
		fs.stringVar(&limits, "limits", "", "", `rate limits as JSON, e.g. {"requests":"10/s","concurrency":4}`)
		fs.stringVar(&retry, "retry", "", "", `retry defaults of steps using it, as JSON, e.g. {"max_attempts":5,"initial":"2s","max":"1m","idempotency_header":"X-Request-Id","breaker":5}`)
		fs.stringVar(&description, "description", "", "", "what it is for")
	case "list":
		cf.register(fs)
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	case "delete":
		cf.register(fs)
	case "rotate-key":
		fs.stringVar(&data, "data", "WEFT_DATA", "./weft-data", "data directory")
		fs.stringVar(&db, "db", "WEFT_DB", "", "database (as for serve)")
		fs.stringVar(&keyFile, "master-key-file", "WEFT_MASTER_KEY_FILE", "", "master key file (default <data>/master.key)")
	default:
		return fmt.Errorf("unknown subcommand %q: use set, list, delete or rotate-key (weft credentials -h)", sub)
	}
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if sub == "rotate-key" {
		return rotateKey(ctx, env, data, db, keyFile)
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		var out struct {
			Items []credential.Metadata `json:"items"`
		}
		if _, err := c.do(ctx, http.MethodGet, "/api/v1/credentials", "", nil, &out); err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(env.Stdout).Encode(out.Items)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTYPE\tFIELDS\tWORKFLOWS\tHOSTS\tUPDATED")
		for _, m := range out.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, m.Type, strings.Join(m.Fields, ","), strings.Join(m.Workflows, ","),
				strings.Join(m.Hosts, ","), m.UpdatedAt.Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "delete":
		if len(pos) != 1 {
			return fmt.Errorf("give one credential name: weft credentials delete NAME")
		}
		if _, err := c.do(ctx, http.MethodDelete, "/api/v1/credentials/"+url.PathEscape(pos[0]), "", nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "deleted credential %s\n", pos[0])
		return nil
	}
	// set
	if len(pos) != 1 {
		return fmt.Errorf("give one credential name: weft credentials set NAME --type T")
	}
	if typ == "" {
		return fmt.Errorf("--type is required")
	}
	in := credential.Input{Type: typ, Data: map[string]any{}}
	in.Description = description
	in.Workflows, in.Hosts = splitList(workflows), splitList(hosts)
	if limits != "" {
		in.Limits = &credential.Limits{}
		if err := json.Unmarshal([]byte(limits), in.Limits); err != nil {
			return fmt.Errorf("--limits: %v", err)
		}
	}
	if retry != "" {
		in.Retry = &credential.Retry{}
		dec := json.NewDecoder(strings.NewReader(retry))
		dec.DisallowUnknownFields()
		if err := dec.Decode(in.Retry); err != nil {
			return fmt.Errorf("--retry: %v", err)
		}
	}
	raw, err := credentialSource(env, fromFile, fromEnv)
	if err != nil {
		return err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &in.Data); err != nil {
			// A bare value fills the type's single required secret field.
			field, ok := soleSecretField(typ)
			if !ok {
				return fmt.Errorf("the value is not a JSON object of fields, and type %s has more than one secret field", typ)
			}
			in.Data = map[string]any{field: strings.TrimRight(raw, "\r\n")}
		}
	}
	body, _ := json.Marshal(in)
	var md credential.Metadata
	if _, err := c.do(ctx, http.MethodPut, "/api/v1/credentials/"+url.PathEscape(pos[0]), "application/json", body, &md); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "stored credential %s (%s; fields %s)\n", md.Name, md.Type, strings.Join(md.Fields, ", "))
	return nil
}

func credentialSource(env *Env, file, envVar string) (string, error) {
	switch {
	case file != "" && envVar != "":
		return "", fmt.Errorf("give --from-file or --from-env, not both")
	case file == "-":
		b, err := readAllLimited(env.Stdin)
		return string(b), err
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--from-file: %w", err)
		}
		return string(b), nil
	case envVar != "":
		v := env.Getenv(envVar)
		if v == "" {
			return "", fmt.Errorf("--from-env: %s is empty or unset", envVar)
		}
		return v, nil
	}
	return "", nil
}

func readAllLimited(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for len(out) < 1<<20 {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
	}
	return out, nil
}

func soleSecretField(typ string) (string, bool) {
	spec, ok := credential.TypeSpec(typ)
	if !ok {
		return "", false
	}
	name, n := "", 0
	for _, f := range spec.Fields {
		if f.Secret && f.Type == "string" {
			name, n = f.Name, n+1
		}
	}
	return name, n == 1
}

// rotateKey seals every credential under a new master key. The new key is
// written next to the old one first (master.key.new), every row is
// rewritten in one transaction, then the files are swapped (the old key is
// kept as master.key.old, which still opens values, until you delete it).
func rotateKey(ctx context.Context, env *Env, data, db, keyFile string) error {
	src := masterKeySource(env, keyFile, data)
	oldKR, _, err := credential.LoadKeyring(src)
	if err != nil {
		return err
	}
	st, _, err := openStore(ctx, db, data, "")
	if err != nil {
		return err
	}
	defer st.Close()
	newKey := credential.NewKey()
	if src.Env == "" {
		if err := credential.WriteKeyFile(src.File+".new", newKey); err != nil {
			return err
		}
	}
	n, err := credential.Rotate(ctx, st, oldKR, newKey)
	if err != nil {
		return err
	}
	if src.Env != "" {
		fmt.Fprintf(env.Stderr, "re-sealed %d credential(s). Set WEFT_MASTER_KEY to the new key below (and WEFT_MASTER_KEY_OLD to the old one until every process restarted):\n", n)
		fmt.Fprintln(env.Stdout, credential.EncodeKey(newKey))
		return nil
	}
	if err := os.Rename(src.File, src.File+".old"); err != nil {
		return fmt.Errorf("keeping the old key: %w", err)
	}
	if err := os.Rename(src.File+".new", src.File); err != nil {
		return fmt.Errorf("installing the new key: %w", err)
	}
	fmt.Fprintf(env.Stderr, "re-sealed %d credential(s) with key %s; restart the servers. The old key stays in %s.old until you delete it.\n",
		n, credential.KeyID(newKey), src.File)
	return nil
}
