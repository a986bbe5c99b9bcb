package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/store"
)

const usersUsage = "users create --email E --role R [--name N] [--password-stdin] [--service] [--data DIR] [--db URL]\n" +
	"       weft users list [--json] [--data DIR] [--db URL]\n\n" +
	"Works on the database directly, so it can make the first owner before anyone can sign in:\n" +
	"  echo 'a long passphrase' | weft users create --email you@example.com --role owner --password-stdin\n" +
	"Without --password-stdin the user signs in with SSO only. Roles: owner, admin, editor, operator, viewer.\n" +
	"--service makes a service account (no sign-in; it holds API tokens), named by --email.\n" +
	"On a running server, owners and admins manage users in the console or with POST /api/v1/users."

func runUsers(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(env.Stderr, "Usage: weft %s\n", usersUsage)
		return ExitError{Code: 2}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(env.Stdout, "Usage: weft %s\n", usersUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(env, "users "+sub, usersUsage)
	var data, db, email, role, name string
	var stdinPW, service, asJSON bool
	fs.stringVar(&data, "data", "WEFT_DATA", "./weft-data", "data directory")
	fs.stringVar(&db, "db", "WEFT_DB", "", "database (as for serve)")
	switch sub {
	case "create":
		fs.stringVar(&email, "email", "", "", "the user's email (a service account's name)")
		fs.stringVar(&role, "role", "", "", "owner, admin, editor, operator or viewer")
		fs.stringVar(&name, "name", "", "", "display name")
		fs.BoolVar(&stdinPW, "password-stdin", false, "read the password from the first line of stdin")
		fs.BoolVar(&service, "service", false, "make a service account")
	case "list":
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	default:
		return fmt.Errorf("unknown subcommand %q: use create or list (weft users -h)", sub)
	}
	if _, err := fs.parse(args); err != nil {
		return err
	}
	st, _, err := openStore(ctx, db, data, "")
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "list" {
		users, err := st.ListUsers(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(env.Stdout).Encode(users)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tKIND\tDISABLED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", u.ID, u.Email, u.Role, u.Kind, u.Disabled)
		}
		return tw.Flush()
	}
	if email == "" || role == "" {
		return fmt.Errorf("--email and --role are required: weft %s", strings.SplitN(usersUsage, "\n", 2)[0])
	}
	in := identity.UserInput{Email: email, Role: role, Name: name, Kind: store.UserPerson}
	if service {
		in.Kind = store.UserService
	}
	if stdinPW {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("--password-stdin: reading the password: %w", err)
		}
		in.Password = strings.TrimRight(line, "\r\n")
	}
	ids, err := identity.New(identity.Config{Store: st})
	if err != nil {
		return err
	}
	u, err := ids.Bootstrap(ctx, in)
	if err != nil {
		return err
	}
	host := "cli"
	if h := env.Getenv("HOSTNAME"); h != "" {
		host = "cli@" + h
	}
	if _, err := st.AppendAudit(ctx, store.AuditEntry{Actor: "weft users create", Source: host, Action: "user.created", Target: u.Email,
		Detail: mustJSON(map[string]any{"id": u.ID, "role": u.Role, "kind": u.Kind, "password": in.Password != ""})}); err != nil {
		return fmt.Errorf("recording the new user in the audit trail: %w", err)
	}
	fmt.Fprintf(env.Stderr, "created %s %s (%s) with role %s\n", u.Kind, u.Email, u.ID, u.Role)
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
