package render

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// DefaultWidth is the width of the text report when the screen's is not
// known (output to a pipe or a file, no COLUMNS).
const DefaultWidth = 100

// minWidth is the narrowest layout: below it the indents would leave no
// room for text.
const minWidth = 40

// maxEvidence is how many items of evidence a finding shows by default.
const maxEvidence = 3

// TextOptions tune the text output.
type TextOptions struct {
	// Terminal selects the terminal shape: colour and symbols. Off a
	// terminal the output is plain, with stable wording.
	Terminal bool
	// ColorFrom is the terminal whose colour support decides the colours
	// (the report may be rendered into a buffer first); default: the writer.
	ColorFrom io.Writer
	// Width is the screen width in columns: text is wrapped to it
	// (DefaultWidth when 0).
	Width int
	// Verbose shows every finding in full with all its evidence, and the
	// policy of a fix in each form (JSON, AWS CLI, Terraform). By default
	// the report fits a screen: per destination its root cause in full,
	// the other findings in one sentence each, evidence up to three items,
	// the policy printed once with commands that read it from a file.
	Verbose bool
}

// Text writes the report for a person: the verdict and root cause in one
// sentence, then the destinations and, per destination, the root cause with
// its evidence and fix.
func Text(w io.Writer, r *diagnose.Report, opts TextOptions) error {
	t := newTextWriter(w, opts)
	t.report(r)
	_, err := io.WriteString(w, t.b.String())
	return err
}

// newTextWriter applies opts' defaults: colours from the terminal w (or
// ColorFrom), DefaultWidth, and no narrower than minWidth.
func newTextWriter(w io.Writer, opts TextOptions) *textWriter {
	from := opts.ColorFrom
	if from == nil {
		from = w
	}
	width := opts.Width
	if width <= 0 {
		width = DefaultWidth
	}
	return &textWriter{st: newStyles(from, opts.Terminal), width: max(width, minWidth), verbose: opts.Verbose}
}

type textWriter struct {
	b       strings.Builder
	st      textStyles
	width   int
	verbose bool
	// shortened: something was left out that --verbose shows.
	shortened bool
}

func (t *textWriter) report(r *diagnose.Report) {
	st := t.st
	verdict := strings.ToUpper(string(r.Verdict))
	lines := wrapLines(verdict+": "+Headline(r), t.width-2)
	first, rest := lines[0], lines[1:]
	if st.term {
		// The same words as off a terminal after the mark; the mark gets
		// its own two columns.
		word, after, _ := strings.Cut(first, ":")
		fmt.Fprintf(&t.b, "%s %s\n", verdictMark(st, r.Verdict), verdictWord(st, r.Verdict, word)+st.title.Render(":"+after))
		for _, l := range rest {
			fmt.Fprintf(&t.b, "  %s\n", st.title.Render(l))
		}
	} else {
		t.b.WriteString(first + "\n")
		for _, l := range rest {
			t.b.WriteString("  " + l + "\n")
		}
	}
	fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Repository"))
	t.para(fmt.Sprintf("%s in %s/%s", r.Repository, r.Source.Account, r.Source.Region), "  ", "    ")

	if len(r.Destinations) > 0 {
		fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Destinations"))
		for _, d := range r.Destinations {
			kind := destinationKind(d)
			loc := fmt.Sprintf("%s/%s", d.Account, d.Region)
			if st.term {
				fmt.Fprintf(&t.b, "  %s %-28s %-14s %s\n", verdictMark(st, d.Verdict), loc, kind, verdictWord(st, d.Verdict, string(d.Verdict)))
			} else {
				fmt.Fprintf(&t.b, "  %-28s %-14s %s\n", loc, kind, d.Verdict)
			}
			if d.Note != "" {
				t.para(d.Note, "      ", "      ")
			}
		}
	}

	for _, g := range findingGroups(r.Findings) {
		lead := r.Findings[g[0]]
		t.finding(lead, lead.Severity == diagnose.SeverityError)
		for _, i := range g[1:] {
			f := r.Findings[i]
			if t.verbose {
				t.finding(f, false)
				continue
			}
			t.shortened = true
			fmt.Fprintf(&t.b, "\n%s\n", st.label.Render(findingTitle(false, f)))
			t.para(f.Summary, "  ", "  ")
		}
	}

	if len(r.Warnings) > 0 {
		fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Warnings"))
		for _, wn := range r.Warnings {
			t.para(wn, "  - ", "    ")
		}
	}
	t.b.WriteString("\n")
	for _, l := range wrapLines(eventsLine(r), t.width) {
		t.b.WriteString(st.dim.Render(l) + "\n")
	}
	if t.shortened {
		for _, l := range wrapLines("Shortened to fit the screen: --verbose shows every finding in full, all the evidence, and the policy in the AWS CLI command and the Terraform resource.", t.width) {
			t.b.WriteString(st.dim.Render(l) + "\n")
		}
	}
}

// findingGroups orders the findings by where they are (the source, then
// each destination in the order its first finding comes) and leads each
// group with its first error: the root cause there. A failing destination's
// first error is its root cause; what follows is often a consequence.
func findingGroups(fs []diagnose.Finding) [][]int {
	var keys []string
	byKey := map[string][]int{}
	for i, f := range fs {
		k := whereKey(f)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	var out [][]int
	for _, k := range keys {
		g := byKey[k]
		if e := firstError(fs, g); e >= 0 && e != g[0] {
			reordered := []int{e}
			for _, i := range g {
				if i != e {
					reordered = append(reordered, i)
				}
			}
			g = reordered
		}
		out = append(out, g)
	}
	return out
}

// whereKey names where a finding is: "source" or the destination.
func whereKey(f diagnose.Finding) string {
	if f.Destination == nil {
		return "source"
	}
	return f.Destination.Account + "/" + f.Destination.Region
}

func firstError(fs []diagnose.Finding, g []int) int {
	for _, i := range g {
		if fs[i].Severity == diagnose.SeverityError {
			return i
		}
	}
	return -1
}

func (t *textWriter) finding(f diagnose.Finding, rootCause bool) {
	st := t.st
	fmt.Fprintf(&t.b, "\n%s\n", st.label.Render(findingTitle(rootCause, f)))
	t.para(f.Summary, "  ", "  ")
	if f.Detail != "" {
		t.para(f.Detail, "  ", "  ")
	}
	if len(f.Evidence) > 0 {
		fmt.Fprintf(&t.b, "\n  %s\n", st.title.Render("Evidence"))
		shown := f.Evidence
		if !t.verbose && len(shown) > maxEvidence {
			shown = shown[:maxEvidence]
		}
		bullet := "-"
		if st.term {
			bullet = "•"
		}
		for _, e := range shown {
			meta := e.Kind
			if !e.Source.IsZero() {
				meta += "  " + e.Source.String()
			}
			if e.Time != "" {
				meta += "  " + e.Time
			}
			lines := wrapLines(meta, t.width-4)
			fmt.Fprintf(&t.b, "  %s %s\n", bullet, st.dim.Render(lines[0]))
			for _, l := range lines[1:] {
				fmt.Fprintf(&t.b, "    %s\n", st.dim.Render(l))
			}
			t.para(e.Text, "      ", "      ")
		}
		if n := len(f.Evidence) - len(shown); n > 0 {
			t.shortened = true
			fmt.Fprintf(&t.b, "  %s and %d more\n", bullet, n)
		}
	}
	if f.Fix != nil {
		t.fix(f)
	}
}

func (t *textWriter) fix(f diagnose.Finding) {
	t.fixOf(f.Fix, f.Destination, nil)
}

// fixOf writes a fix for the registry policy of dst (nil: none); before,
// when not nil, writes what belongs between the policy's commands and the
// backfill that follows them.
func (t *textWriter) fixOf(fx *diagnose.Fix, dst *diagnose.Location, before func()) {
	st := t.st
	title := "Fix"
	switch {
	case fx.RegistryPolicy != nil && fx.Verified:
		title = "Fix (verified: the evaluator allows every failed request under this policy)"
	case fx.RegistryPolicy != nil:
		title = "Fix (not verified: see the first step)"
	}
	for i, l := range wrapLines(title, t.width-2) {
		if i == 0 {
			fmt.Fprintf(&t.b, "\n  %s\n", st.title.Render(l))
		} else {
			fmt.Fprintf(&t.b, "  %s\n", st.title.Render(l))
		}
	}
	for i, s := range fx.Steps {
		t.para(s, fmt.Sprintf("  %d. ", i+1), "     ")
	}
	cli, tf := fx.AWSCLI, fx.Terraform
	if fx.RegistryPolicy != nil {
		loc := ""
		if dst != nil {
			loc = " for " + dst.Account + "/" + dst.Region
		}
		file := policyFile(dst)
		fromFile := !t.verbose && file != ""
		if fromFile {
			if c, ok := cliFromFile(cli, file); ok {
				cli = c
			} else {
				fromFile = false
			}
		}
		if fromFile {
			tf = terraformFromFile(tf, file)
			t.b.WriteString("\n")
			t.para(fmt.Sprintf("Registry policy%s (save it as %s for the commands below):", loc, file), "  ", "  ")
		} else {
			fmt.Fprintf(&t.b, "\n  Registry policy%s:\n", loc)
		}
		t.code(prettyJSON(fx.RegistryPolicy), "    ", false)
	}
	if cli != "" {
		fmt.Fprintf(&t.b, "\n  AWS CLI:\n")
		t.code(cli, "    ", true)
	}
	if tf != "" {
		fmt.Fprintf(&t.b, "\n  Terraform:\n")
		t.code(tf, "    ", false)
	}
	if before != nil {
		before()
	}
	if fx.Backfill != "" {
		fmt.Fprintf(&t.b, "\n  Backfill (source credentials, after the rest of the fix):\n")
		t.code(fx.Backfill, "    ", true)
	}
}

// safeName is what a file name made of an account and a region may hold
// and still be pasted into a command without quoting.
var safeName = regexp.MustCompile(`^[a-z0-9-]+$`)

// policyFile is the file the short report asks to save a destination's
// registry policy in ("" when the destination cannot name one).
func policyFile(dst *diagnose.Location) string {
	if dst == nil || !safeName.MatchString(dst.Account) || !safeName.MatchString(dst.Region) {
		return ""
	}
	return fmt.Sprintf("registry-policy-%s-%s.json", dst.Account, dst.Region)
}

// cliFromFile turns `aws ecr put-registry-policy ... --policy-text '{...}'`
// into the same command reading the policy from file, so the policy is
// printed once.
func cliFromFile(cli, file string) (string, bool) {
	head, text, ok := strings.Cut(cli, " --policy-text '")
	if !ok || strings.Contains(text, "\n") || !strings.HasSuffix(text, "'") {
		return cli, false
	}
	return head + " --policy-text file://" + file, true
}

// terraformFromFile replaces the policy heredoc of a Terraform resource
// with file() of the saved policy.
func terraformFromFile(tf, file string) string {
	lines := strings.Split(tf, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "policy = <<-EOT" {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "EOT" {
				pad := l[:len(l)-len(strings.TrimLeft(l, " "))]
				out := append(append(append([]string{}, lines[:i]...), pad+`policy = file("`+file+`")`), lines[j+1:]...)
				return strings.Join(out, "\n")
			}
		}
	}
	return tf
}

// para writes s wrapped to the width, its first line after first and the
// others after rest.
func (t *textWriter) para(s, first, rest string) {
	avail := t.width - max(utf8.RuneCountInString(first), utf8.RuneCountInString(rest))
	for i, l := range wrapLines(s, avail) {
		switch {
		case l == "":
			t.b.WriteString("\n")
		case i == 0:
			t.b.WriteString(first + l + "\n")
		default:
			t.b.WriteString(rest + l + "\n")
		}
	}
}

// code writes a block to copy: lines that fit stay as they are. A shell
// command too long is broken before its options with a backslash; a JSON
// line too long is broken after its key (JSON allows the space). What
// cannot be broken without changing it (one long quoted word) stays whole.
func (t *textWriter) code(s, prefix string, shell bool) {
	avail := t.width - len(prefix)
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l == "" {
			t.b.WriteString("\n")
			continue
		}
		var parts []string
		pad := l[:len(l)-len(strings.TrimLeft(l, " "))]
		switch {
		case utf8.RuneCountInString(l) <= avail:
			parts = []string{l}
		case strings.HasPrefix(strings.TrimLeft(l, " "), "# "):
			// A comment (shell or HCL) wraps as prose.
			for _, c := range wrapLines(strings.TrimPrefix(strings.TrimLeft(l, " "), "# "), avail-len(pad)-2) {
				parts = append(parts, pad+"# "+c)
			}
		case shell:
			parts = breakShell(l, avail)
		default:
			parts = breakJSON(l, avail)
		}
		for _, p := range parts {
			t.b.WriteString(prefix + t.st.code.Render(p) + "\n")
		}
	}
}

// breakShell breaks a command line before its --options, each continued
// line ending in a backslash; quoted text is never broken.
func breakShell(l string, width int) []string {
	// Segments: the command words, then each option with its values.
	var segs []string
	for _, w := range fieldsKeeping(l, '\'') {
		if len(segs) == 0 || strings.HasPrefix(w, "-") {
			segs = append(segs, w)
			continue
		}
		segs[len(segs)-1] += " " + w
	}
	var out []string
	line := ""
	for _, sg := range segs {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(sg)+2 > width {
			out = append(out, line+" \\")
			line = "    " + sg
			continue
		}
		if line == "" {
			line = sg
		} else {
			line += " " + sg
		}
	}
	return append(out, line)
}

// breakJSON breaks `  "Key": value` after the colon, the value indented
// two more columns on its own line.
func breakJSON(l string, width int) []string {
	pad := l[:len(l)-len(strings.TrimLeft(l, " "))]
	key, value, ok := strings.Cut(l, `": `)
	if !ok || !strings.HasPrefix(strings.TrimLeft(key, " "), `"`) {
		return []string{l}
	}
	return []string{key + `":`, pad + "  " + value}
}

// wrapLines breaks s into lines of at most width columns at spaces, except
// inside `backquoted commands`, which stay whole to be copied where they
// fit. A word longer than the width (a file path, an ARN, compact JSON) is
// broken after a space, '/', ',' or ':' where it can, else where it must.
// Newlines in s are kept.
func wrapLines(s string, width int) []string {
	width = max(width, 10)
	var out []string
	for _, para := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		line := ""
		for _, w := range fieldsKeeping(para, '`') {
			for utf8.RuneCountInString(w) > width {
				// Fill the current line first when a good share fits.
				room := width
				if line != "" {
					room = width - utf8.RuneCountInString(line) - 1
				}
				if room < width/3 {
					if line != "" {
						out = append(out, line)
						line = ""
					}
					room = width
				}
				head, tail := splitWord(w, room)
				if line != "" {
					line += " " + head
				} else {
					line = head
				}
				out = append(out, line)
				line = ""
				w = tail
			}
			switch {
			case line == "":
				line = w
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width:
				out = append(out, line)
				line = w
			default:
				line += " " + w
			}
		}
		out = append(out, line)
	}
	return out
}

// splitWord cuts w into a head of at most n runes, after the last '/', ','
// or ':' in the second half of it when there is one.
func splitWord(w string, n int) (string, string) {
	rs := []rune(w)
	cut := n
	for i := n; i > n/2; i-- {
		if strings.ContainsRune(" /,:", rs[i-1]) {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(rs[:cut]), " "), string(rs[cut:])
}

// fieldsKeeping splits s at spaces, except between a pair of quote
// runes (backquotes in prose, single quotes in a command line).
func fieldsKeeping(s string, quote rune) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for _, r := range s {
		switch {
		case r == quote:
			inQuote = !inQuote
			cur.WriteRune(r)
		case r == ' ' && !inQuote:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
