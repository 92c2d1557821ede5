package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// Exit codes shared by every command.
const (
	exitOK       = 0 // healthy, allowed, nothing found
	exitFindings = 1 // a problem was found (a deny, a failing replication, failure events)
	exitUsage    = 2 // the command line was wrong
	exitInput    = 3 // could not run: unreadable or malformed input, nothing to diagnose
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module build info.
var version = ""

// exitError carries an exit code through urfave/cli. A nil err means "exit
// with code, print nothing" (used for findings, which the report already
// shows on stdout).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a wrong command line (exit 2).
func usageErrorf(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// inputError reports input that could not be read or understood (exit 3).
func inputError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitInput, err: err}
}

// inputErrorf is inputError with formatting.
func inputErrorf(format string, a ...any) error {
	return inputError(fmt.Errorf(format, a...))
}

// findingsExit makes the process exit 1 without printing anything more: the
// report on stdout already says what was found.
func findingsExit() error { return &exitError{code: exitFindings} }

// IO is what a command reads and writes besides its flags: the standard
// streams and what is known about the terminal. Main fills it from the
// process; tests build it, so a run function can be called without a command
// line or a terminal.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// OutTerminal: stdout is a terminal where colour may be used (NO_COLOR
	// unset), so the report takes its terminal shape.
	OutTerminal bool
	// OutTTY: stdout is a terminal, whatever NO_COLOR says: where a whole
	// HTML page is of no use.
	OutTTY bool
	// ErrTerminal: stderr is a terminal, so progress lines may be drawn there.
	ErrTerminal bool
	// Width is the screen width in columns that text output wraps to: COLUMNS
	// when set, else stdout's terminal's width; 0 when neither is known.
	Width int
	// AWS is where the commands that read AWS get their configurations and
	// clients. Main leaves it zero: the process environment, through the
	// SDK's default chain (environment keys, profiles, SSO,
	// credential_process, web identity, container endpoint, instance
	// metadata). Tests point it at their own moto, so that command lines
	// that read AWS can run in parallel.
	AWS collect.AWS
}

// processIO is the IO of a process with these streams.
func processIO(stdin io.Reader, stdout, stderr io.Writer) IO {
	return IO{
		In: stdin, Out: stdout, Err: stderr,
		OutTerminal: isTerminal(stdout) && os.Getenv("NO_COLOR") == "",
		OutTTY:      isTerminal(stdout),
		ErrTerminal: isTerminal(stderr),
		Width:       screenWidth(os.Getenv("COLUMNS"), stdout),
	}
}

// screenWidth is COLUMNS when it is a number (the user's word wins, as in
// ls and git), else the width of the terminal w is, else 0.
func screenWidth(columns string, w io.Writer) int {
	if n, err := strconv.Atoi(strings.TrimSpace(columns)); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && isTerminal(w) {
		if width, _, err := term.GetSize(f.Fd()); err == nil && width > 0 {
			return width
		}
	}
	return 0
}

// Main runs ecrdoctor with the given arguments and streams and returns the
// process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runMain(args, processIO(stdin, stdout, stderr))
}

// runMain is Main with the IO given: a command line run on streams, a
// terminal and an AWS of the caller's.
func runMain(args []string, s IO) int {
	app := newApp(s)
	if err := repeatedFlag(app, args); err != nil {
		return exitCode(err, s.Err)
	}
	err := app.Run(args)
	return exitCode(err, s.Err)
}

// repeatedFlag refuses a flag that takes one value given twice, such as
// --repo a --repo b: urfave/cli would silently keep the last one, and the
// user would get an answer about something they may not have meant.
func repeatedFlag(app *cli.App, args []string) error {
	if len(args) < 2 {
		return nil
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return nil
	}
	single := map[string]string{} // every name of a one-value flag -> its first name
	for _, f := range cmd.Flags {
		switch f.(type) {
		case *cli.StringFlag, *cli.IntFlag, *cli.DurationFlag: // GenericFlags here are repeatable
			for _, n := range f.Names() {
				single[n] = f.Names()[0]
			}
		}
	}
	seen := map[string]string{}
	rest := args[2:]
	for i, a := range rest {
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		canon, ok := single[name]
		if !ok {
			continue
		}
		given := a
		if !hasValue && i+1 < len(rest) {
			given += " " + rest[i+1]
		}
		if prev, dup := seen[canon]; dup {
			return usageErrorf("%s: --%s is given twice (%s, then %s): give it once", cmd.Name, canon, prev, given)
		}
		seen[canon] = given
	}
	return nil
}

// exitCode maps the outcome of a command to the process exit code and prints
// the error, if any, on stderr.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "ecrdoctor: %v\n", ee.err)
		}
		return ee.code
	}
	// Errors that did not come from an action come from urfave/cli's own
	// parsing: unknown flags, missing required flags, bad flag values.
	fmt.Fprintf(stderr, "ecrdoctor: %v\nRun 'ecrdoctor --help' for usage.\n", err)
	return exitUsage
}

// action wraps a command's action so that an error it returns without an exit
// code counts as "could not run" (3), never as a usage error.
func action(fn func(c *cli.Context) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() > 0 && !c.Command.SkipFlagParsing && c.Command.ArgsUsage == "" {
			return usageErrorf("%s: unexpected argument %q", c.Command.Name, c.Args().First())
		}
		err := fn(c)
		if err == nil {
			return nil
		}
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return inputError(err)
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newApp(s IO) *cli.App {
	app := &cli.App{
		Name:    "ecrdoctor",
		Usage:   "explain why Amazon ECR images are not replicating, with evidence and the exact fix",
		Version: buildVersion(),
		Description: `ecrdoctor reads the source registry's replication configuration, the failing
ReplicateImage events in CloudTrail and the destination's registry and repository
policies, evaluates the policies the way IAM does, and prints the root cause, its
evidence and a verified fix. It only ever reads AWS: it never changes an account.

Examples:
  ecrdoctor why --repo my-repo --snapshot fixtures/seed-grant-in-repository-policy
  ecrdoctor simulate --policy registry-policy.json --replication-from 111111111111 \
      --resource arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo
  ecrdoctor events ./AWSLogs --repo my-repo --since 7d`,
		Reader:               s.In,
		Writer:               s.Out,
		ErrWriter:            s.Err,
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		// Errors are printed and mapped to exit codes by Main, never by cli.
		ExitErrHandler: func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return unknownCommand(c.App, c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			whyCommand(s),
			simulateCommand(s),
			eventsCommand(s),
			snapshotCommand(s),
			athenaDDLCommand(s),
			lintCommand(s),
			scanCommand(s),
		},
	}
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return flagError("", app.Flags, err)
	}
	for _, cmd := range app.Commands {
		if cmd.OnUsageError == nil {
			cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
				return flagError(cmd.Name, cmd.Flags, err)
			}
		}
	}
	return app
}

// unknownCommand is the usage error for a command that does not exist,
// with the nearest one.
func unknownCommand(app *cli.App, name string) error {
	var names []string
	for _, c := range app.Commands {
		names = append(names, c.Names()...)
	}
	if near := nearest(name, names); near != "" {
		return usageErrorf("unknown command %q: did you mean %q? (run 'ecrdoctor --help' for the list of commands)", name, near)
	}
	return usageErrorf("unknown command %q; run 'ecrdoctor --help' for the list of commands", name)
}

// flagError rewrites what the flag package says about a command line
// (unknown flag, missing value, bad value) to name the command and the
// flag with its dashes, with the nearest flag for a mistyped one. cmd is
// "" for the flags before the command.
func flagError(cmd string, flags []cli.Flag, err error) error {
	where, help := "ecrdoctor", "ecrdoctor --help"
	if cmd != "" {
		where, help = cmd, "ecrdoctor "+cmd+" --help"
	}
	usageErrorf := func(format string, a ...any) error {
		if cmd == "" {
			// Main prefixes "ecrdoctor: " already.
			_, format, _ = strings.Cut(format, ": ")
			a = a[1:]
		}
		return usageErrorf(format, a...)
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var names []string
		for _, f := range flags {
			names = append(names, f.Names()...)
		}
		if near := nearest(name, names); near != "" {
			return usageErrorf("%s: unknown flag %s: did you mean %s? (run '%s' for its flags)", where, dashed(name), dashed(near), help)
		}
		return usageErrorf("%s: unknown flag %s (run '%s' for its flags)", where, dashed(name), help)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		return usageErrorf("%s: %s needs a value%s", where, dashed(name), valueHint(findFlag(flags, name)))
	}
	// invalid boolean value "maybe" for -verbose: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if value, name, ok := cutInvalid(strings.Replace(rest, " for -", " for flag -", 1)); ok {
			return usageErrorf("%s: %s=%s: must be true or false (or give %s alone)", where, dashed(name), value, dashed(name))
		}
	}
	// invalid value "5" for flag -timeout: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if value, name, ok := cutInvalid(rest); ok {
			f := findFlag(flags, name)
			switch f.(type) {
			case *cli.DurationFlag:
				if _, err := strconv.ParseFloat(value, 64); err == nil {
					return usageErrorf("%s: %s %s: a duration needs a unit, e.g. %ss, %sm or %sh", where, dashed(name), value, value, value, value)
				}
				return usageErrorf("%s: %s %q: not a duration (a number with a unit: 90s, 5m, 1h30m)", where, dashed(name), value)
			case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag:
				return usageErrorf("%s: %s %q: not a whole number", where, dashed(name), value)
			}
			return usageErrorf("%s: %s %q: invalid value", where, dashed(name), value)
		}
	}
	return usageErrorf("%s: %v (run '%s' for its flags)", where, err, help)
}

// cutInvalid reads `"5" for flag -timeout: parse error`.
func cutInvalid(s string) (value, name string, ok bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", false
	}
	value, _ = strconv.Unquote(q)
	rest, ok := strings.CutPrefix(s[len(q):], " for flag ")
	if !ok {
		return "", "", false
	}
	name, _, _ = strings.Cut(rest, ":")
	return value, strings.TrimLeft(name, "-"), true
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// valueHint names what a flag takes, from the placeholder of its usage
// (`NAME` in "the source repository `NAME`").
func valueHint(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	_, rest, ok := strings.Cut(df.GetUsage(), "`")
	placeholder, _, closed := strings.Cut(rest, "`")
	if !ok || !closed || placeholder == "" {
		return ""
	}
	return fmt.Sprintf(" (%s %s)", dashed(f.Names()[0]), placeholder)
}

// dashed writes a flag name as it is typed: -o, --repo.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// nearest is the candidate closest to name by edit distance, if it is
// close enough to be a typo (at most a third of its letters, at least 1),
// or a candidate that name is a prefix of.
func nearest(name string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		if len(c) == 1 {
			continue
		}
		d := typoDistance(name, c)
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" && bestD <= max(1, len(name)/3) {
		return best
	}
	for _, c := range candidates {
		if len(name) >= 3 && strings.HasPrefix(c, name) {
			return c
		}
	}
	return ""
}

// typoDistance is the edit distance, a swap of letters counting as one
// edit (wyh -> why).
func typoDistance(a, b string) int {
	d := diagnose.EditDistance(a, b)
	if d == 2 && len(a) == len(b) && sortedRunes(a) == sortedRunes(b) {
		return 1
	}
	return d
}

func sortedRunes(s string) string {
	r := []rune(s)
	slices.Sort(r)
	return string(r)
}

// isTerminal reports whether w is a terminal (for colour and progress).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
