package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/weftworks/weft/audit"
	"github.com/weftworks/weft/store"
)

const auditUsage = "audit verify [--json] [--data DIR] [--db URL]\n" +
	"       weft audit export [--after SEQ] [--data DIR] [--db URL] > audit.jsonl\n\n" +
	"verify recomputes the hash chain of the audit trail and names the first entry that was edited,\n" +
	"removed or inserted; it exits with status 1 when the chain is broken. export writes the trail as\n" +
	"JSON lines, oldest first (GET /api/v1/audit/export does the same over the API).\n" +
	"Both read the database directly, like the server's --data and --db."

func runAudit(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(env.Stderr, "Usage: weft %s\n", auditUsage)
		return ExitError{Code: 2}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(env.Stdout, "Usage: weft %s\n", auditUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(env, "audit "+sub, auditUsage)
	var data, db string
	var asJSON bool
	var after int
	fs.stringVar(&data, "data", "WEFT_DATA", "./weft-data", "data directory")
	fs.stringVar(&db, "db", "WEFT_DB", "", "database (as for serve)")
	switch sub {
	case "verify":
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	case "export":
		fs.IntVar(&after, "after", 0, "start after this seq")
	default:
		return fmt.Errorf("unknown subcommand %q: use verify or export (weft audit -h)", sub)
	}
	if _, err := fs.parse(args); err != nil {
		return err
	}
	st, _, err := openStore(ctx, db, data, "")
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "export" {
		n, err := audit.Export(ctx, st, env.Stdout, int64(after), store.AuditFilter{})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "exported %d entries\n", n)
		return nil
	}
	rep, err := audit.Verify(ctx, st)
	if err != nil {
		return err
	}
	if asJSON {
		if err := json.NewEncoder(env.Stdout).Encode(rep); err != nil {
			return err
		}
	} else if rep.Broken == nil {
		fmt.Fprintf(env.Stdout, "ok: %d entries verified (seq %d to %d), head hash %s\n", rep.Checked, rep.From+1, rep.Head, rep.HeadHash)
	}
	if rep.Broken != nil {
		fmt.Fprintf(env.Stderr, "audit trail broken at entry %d: %s (%d entries before it verified)\n", rep.Broken.Seq, rep.Broken.Reason, rep.Checked)
		return ExitError{Code: 1}
	}
	return nil
}
