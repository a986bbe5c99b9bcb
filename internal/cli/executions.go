package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/weftworks/weft"
)

const executionsUsage = "executions list [--workflow W] [--status S] [--limit N] [--cursor C] [--json]\n" +
	"       weft executions show ID\n" +
	"       weft executions retry ID [--json]\n" +
	"       weft executions cancel ID [--json]\n\n" +
	"Every form also takes --server URL and --token T."

func runExecutions(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(env.Stderr, "Usage: weft %s\n", executionsUsage)
		return ExitError{Code: 2}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(env.Stdout, "Usage: weft %s\n", executionsUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(env, "executions "+sub, executionsUsage)
	var (
		cf       clientFlags
		workflow string
		status   string
		cursor   string
		limit    int
		asJSON   bool
	)
	cf.register(fs)
	jsonDefault, _ := strconv.ParseBool(env.Getenv("WEFT_JSON"))
	fs.BoolVar(&asJSON, "json", jsonDefault, "print JSON instead of a table or summary (env WEFT_JSON)")
	switch sub {
	case "list":
		fs.stringVar(&workflow, "workflow", "WEFT_WORKFLOW", "", "only executions of this workflow")
		fs.stringVar(&status, "status", "WEFT_STATUS", "", "only executions in this status: queued, running, waiting, succeeded, failed or canceled")
		fs.intVar(&limit, "limit", "WEFT_LIMIT", 20, "how many executions to list (at most 500)")
		fs.stringVar(&cursor, "cursor", "WEFT_CURSOR", "", "continue a previous listing (the cursor it printed)")
	case "show", "retry", "cancel":
	default:
		return fmt.Errorf("unknown subcommand %q: use list, show, retry or cancel (weft executions -h)", sub)
	}
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if status != "" && !weft.ExecutionStatus(status).Valid() {
		return fmt.Errorf("--status %q is not an execution status: use queued, running, waiting, succeeded, failed or canceled", status)
	}
	if sub == "list" && len(pos) > 0 || sub != "list" && len(pos) != 1 {
		fs.Usage()
		return ExitError{Code: 2}
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		q := url.Values{}
		for k, v := range map[string]string{"workflow": workflow, "status": status, "cursor": cursor} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		var list struct {
			Items      []weft.Execution `json:"items"`
			NextCursor string           `json:"next_cursor"`
		}
		var raw json.RawMessage
		if _, err := c.do(ctx, http.MethodGet, "/api/v1/executions?"+q.Encode(), "", nil, &raw); err != nil {
			return err
		}
		if asJSON {
			return printJSON(env, raw)
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return fmt.Errorf("reading the execution list: %w", err)
		}
		printExecutionTable(env, list.Items)
		if list.NextCursor != "" {
			fmt.Fprintf(env.Stderr, "more: weft executions list --cursor %s\n", list.NextCursor)
		}
		return nil
	case "show":
		var raw json.RawMessage
		if _, err := c.do(ctx, http.MethodGet, "/api/v1/executions/"+url.PathEscape(pos[0]), "", nil, &raw); err != nil {
			return err
		}
		return printJSON(env, raw)
	default: // retry, cancel
		var raw json.RawMessage
		if _, err := c.do(ctx, http.MethodPost, "/api/v1/executions/"+url.PathEscape(pos[0])+"/"+sub, "", nil, &raw); err != nil {
			return err
		}
		if asJSON {
			return printJSON(env, raw)
		}
		var ex weft.Execution
		if err := json.Unmarshal(raw, &ex); err != nil {
			return fmt.Errorf("reading the execution: %w", err)
		}
		verb := map[string]string{"retry": "retrying", "cancel": "cancel requested for"}[sub]
		fmt.Fprintf(env.Stdout, "%s execution %s (workflow %s): now %s\n", verb, ex.ID, ex.Workflow, ex.Status)
		return nil
	}
}

func printJSON(env *Env, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}

func printExecutionTable(env *Env, items []weft.Execution) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWORKFLOW\tSTATUS\tTRIGGER\tCREATED\tDURATION")
	for _, e := range items {
		dur := "-"
		if e.StartedAt != nil {
			end := time.Now()
			if e.FinishedAt != nil {
				end = *e.FinishedAt
			}
			dur = end.Sub(*e.StartedAt).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Workflow, e.Status, e.Trigger,
			e.CreatedAt.Local().Format(time.DateTime), dur)
	}
	_ = tw.Flush()
}
