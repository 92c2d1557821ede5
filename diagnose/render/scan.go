package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// ScanJSON writes a scan report as indented JSON for dashboards. Lists are
// never null.
func ScanJSON(w io.Writer, r *diagnose.ScanReport) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encoding the scan report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ScanHeadline is the scan's verdict in one sentence.
func ScanHeadline(r *diagnose.ScanReport) string {
	s := r.Summary
	if s.Pairs == 0 && s.Sources > 0 && r.Verdict == diagnose.Healthy {
		// Nothing failed because nothing replicates: say that, not
		// "0 of 0 failing", which reads like a clean bill.
		return fmt.Sprintf("nothing to check: no repository in %s is replicated by a rule (see Sources).", plural(s.Sources, "source registry", "source registries"))
	}
	return fmt.Sprintf("%d of %d repository × destination pairs failing, %d unknown, %d healthy (%s in %s).",
		s.Failing, s.Pairs, s.Unknown, s.Healthy, plural(s.Repositories, "repository", "repositories"), plural(s.Sources, "source registry", "source registries"))
}

// What the text shortens unless --verbose: the repositories named per root
// cause, and the rows of the matrix healthy at every destination once the
// matrix is longer than a screen.
const (
	maxNamed      = 8
	maxMatrixRows = 30
)

// ScanText writes a scan report for a person: the verdict and counts, the
// sources, the destinations (the matrix's columns), the matrix
// (repositories grouped by source × destinations, one mark a cell), the
// root causes grouped by code with the repositories they affect, and one
// fix per destination with what to do in each repository besides.
func ScanText(w io.Writer, r *diagnose.ScanReport, opts TextOptions) error {
	t := newTextWriter(w, opts)
	t.scan(r)
	_, err := io.WriteString(w, t.b.String())
	return err
}

// scanMark is a cell of the matrix: a symbol in colour on a terminal, a
// word off it. Every mark of a shape has the same meaning in the legend.
func scanMark(st textStyles, v diagnose.Verdict, replicated bool) (string, int) {
	if !replicated {
		if st.term {
			return st.dim.Render("·"), 1
		}
		return "-", 1
	}
	if st.term {
		return verdictMark(st, v), 1
	}
	switch v {
	case diagnose.Healthy:
		return "ok", 2
	case diagnose.Failing:
		return "FAIL", 4
	}
	return "?", 1
}

func scanLegend(term bool) string {
	if term {
		return "✓ healthy, ✗ failing, ? unknown, · not replicated there"
	}
	return "ok healthy, FAIL failing, ? unknown, - not replicated there"
}

func (t *textWriter) scan(r *diagnose.ScanReport) {
	t.scanHeadline(r)
	t.scanSources(r)
	if len(r.Pairs) > 0 {
		t.scanDestinations(r)
		t.scanMatrix(r)
	}
	t.scanRootCauses(r)
	t.scanFixes(r)
	if len(r.Warnings) > 0 {
		fmt.Fprintf(&t.b, "\n%s\n", t.st.label.Render("Warnings"))
		for _, wn := range r.Warnings {
			t.para(wn, "  - ", "    ")
		}
	}
	if len(r.APICalls) > 0 {
		total := 0
		for _, n := range r.APICalls {
			total += n
		}
		t.b.WriteString("\n")
		for _, l := range wrapLines(fmt.Sprintf("%d AWS API call(s).", total), t.width) {
			t.b.WriteString(t.st.dim.Render(l) + "\n")
		}
	}
	if t.shortened {
		t.b.WriteString("\n")
		for _, l := range wrapLines("Shortened to fit the screen: --verbose lists every repository, every healthy row of the matrix, the evidence of each root cause, and the policy in the AWS CLI command and the Terraform resource.", t.width) {
			t.b.WriteString(t.st.dim.Render(l) + "\n")
		}
	}
}

func (t *textWriter) scanHeadline(r *diagnose.ScanReport) {
	st := t.st
	lines := wrapLines(strings.ToUpper(string(r.Verdict))+": "+ScanHeadline(r), t.width-2)
	if st.term {
		word, after, _ := strings.Cut(lines[0], ":")
		fmt.Fprintf(&t.b, "%s %s\n", verdictMark(st, r.Verdict), verdictWord(st, r.Verdict, word)+st.title.Render(":"+after))
	} else {
		t.b.WriteString(lines[0] + "\n")
	}
	for _, l := range lines[1:] {
		fmt.Fprintf(&t.b, "  %s\n", st.title.Render(l))
	}
}

func (t *textWriter) scanSources(r *diagnose.ScanReport) {
	fmt.Fprintf(&t.b, "\n%s\n", t.st.label.Render("Sources"))
	locW := 0
	for _, s := range r.Sources {
		locW = max(locW, len(s.String()))
	}
	for _, s := range r.Sources {
		rules := "rules unknown"
		if s.RulesKnown {
			rules = plural(s.Rules, "rule", "rules")
		}
		lead := fmt.Sprintf("  %-*s  %-7s  ", locW, s.String(), s.Verdict)
		line := fmt.Sprintf("%s, %s, %d replicated", rules, plural(s.Repositories, "repository", "repositories"), s.Covered)
		if n := len(s.NotCovered); n > 0 {
			line += fmt.Sprintf(", %d not covered by any rule (%s)", n, t.names(s.NotCovered, maxNamed))
		}
		if s.Note != "" {
			line += ": " + s.Note
		}
		t.para(line, lead, strings.Repeat(" ", utf8.RuneCountInString(lead)))
	}
}

// names joins a list, cut to n unless --verbose ("and N more").
func (t *textWriter) names(list []string, n int) string {
	if t.verbose || len(list) <= n {
		return strings.Join(list, ", ")
	}
	t.shortened = true
	return strings.Join(list[:n], ", ") + fmt.Sprintf(" and %d more", len(list)-n)
}

// columnCounts counts a destination's pairs by verdict.
func columnCounts(r *diagnose.ScanReport, dst diagnose.Location) string {
	n := map[diagnose.Verdict]int{}
	for _, p := range r.Pairs {
		if p.Destination == dst {
			n[p.Verdict]++
		}
	}
	var parts []string
	for _, v := range []diagnose.Verdict{diagnose.Failing, diagnose.Unknown, diagnose.Healthy} {
		if n[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[v], v))
		}
	}
	return strings.Join(parts, ", ")
}

func (t *textWriter) scanDestinations(r *diagnose.ScanReport) {
	st := t.st
	fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Destinations (the columns of the matrix)"))
	numW := len(fmt.Sprint(len(r.Destinations)))
	locW := 0
	for _, d := range r.Destinations {
		locW = max(locW, len(d.String()))
	}
	for i, d := range r.Destinations {
		lead := fmt.Sprintf("  %*d  %-*s  %-13s  ", numW, i+1, locW, d.String(), d.Kind)
		t.para(columnCounts(r, d.Location), lead, strings.Repeat(" ", utf8.RuneCountInString(lead)))
	}
}

// matrixRow is one repository of the matrix.
type matrixRow struct {
	repo    string
	cells   []diagnose.Verdict
	has     []bool
	healthy bool // every cell it has is healthy
}

func matrixRows(r *diagnose.ScanReport) (order []diagnose.Location, rows map[diagnose.Location][]*matrixRow) {
	col := map[diagnose.Location]int{}
	for i, d := range r.Destinations {
		col[d.Location] = i
	}
	rows = map[diagnose.Location][]*matrixRow{}
	for _, p := range r.Pairs {
		list := rows[p.Source]
		if len(list) == 0 {
			order = append(order, p.Source)
		}
		if len(list) == 0 || list[len(list)-1].repo != p.Repository {
			list = append(list, &matrixRow{repo: p.Repository, cells: make([]diagnose.Verdict, len(r.Destinations)), has: make([]bool, len(r.Destinations)), healthy: true})
			rows[p.Source] = list
		}
		row := list[len(list)-1]
		i := col[p.Destination]
		row.cells[i], row.has[i] = p.Verdict, true
		row.healthy = row.healthy && p.Verdict == diagnose.Healthy
	}
	return order, rows
}

func (t *textWriter) scanMatrix(r *diagnose.ScanReport) {
	st := t.st
	order, rows := matrixRows(r)
	total := 0
	for _, list := range rows {
		total += len(list)
	}
	collapse := !t.verbose && total > maxMatrixRows

	fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Matrix"))
	t.para(scanLegend(st.term), "  ", "  ")

	// Column width: the widest mark or column number, and a space.
	markW := 4
	if st.term {
		markW = 1
	}
	cellW := max(markW, len(fmt.Sprint(len(r.Destinations)))) + 1
	nameW := len("repository")
	for _, src := range order {
		for _, row := range rows[src] {
			nameW = max(nameW, utf8.RuneCountInString(row.repo))
		}
	}
	// The names leave room for at least a few columns; longer ones are cut.
	nameW = min(nameW, max(16, t.width-4-cellW*min(len(r.Destinations), 8)))
	perBlock := max(1, (t.width-4-nameW)/cellW)

	for start := 0; start < len(r.Destinations); start += perBlock {
		end := min(start+perBlock, len(r.Destinations))
		if start > 0 || end < len(r.Destinations) {
			t.b.WriteString("\n")
			t.para(fmt.Sprintf("Destinations %d to %d of %d:", start+1, end, len(r.Destinations)), "  ", "  ")
		}
		for _, src := range order {
			for _, l := range wrapLines(src.String()+" ("+plural(len(rows[src]), "repository", "repositories")+")", t.width-2) {
				t.b.WriteString("  " + st.title.Render(l) + "\n")
			}
			var head strings.Builder
			fmt.Fprintf(&head, "    %s", padRight("repository", nameW))
			for i := start; i < end; i++ {
				fmt.Fprintf(&head, "%*d", cellW, i+1)
			}
			t.b.WriteString(st.dim.Render(head.String()) + "\n")
			hidden := 0
			for _, row := range rows[src] {
				if collapse && row.healthy {
					hidden++
					continue
				}
				var line strings.Builder
				fmt.Fprintf(&line, "    %s", padRight(cut(row.repo, nameW, st.term), nameW))
				for i := start; i < end; i++ {
					mark, w := scanMark(st, row.cells[i], row.has[i])
					line.WriteString(strings.Repeat(" ", cellW-w) + mark)
				}
				t.b.WriteString(line.String() + "\n")
			}
			if hidden > 0 {
				t.shortened = true
				t.para(fmt.Sprintf("and %s healthy at every destination (--verbose lists them)", plural(hidden, "more repository", "more repositories")), "    ", "    ")
			}
		}
	}
}

// cut shortens a name to n runes, marking the cut.
func cut(s string, n int, term bool) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	mark := "..."
	if term {
		mark = "…"
	}
	rs := []rune(s)
	return string(rs[:max(1, n-utf8.RuneCountInString(mark))]) + mark
}

func padRight(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
}

// codeGroup is one root-cause code with its destinations.
type codeGroup struct {
	code     string
	severity diagnose.Severity
	title    string
	groups   []diagnose.ScanRootCause
	pairs    int
}

// scanCodeGroups groups r.RootCauses (by code × destination, in root-cause
// order) by code, keeping that order.
func scanCodeGroups(r *diagnose.ScanReport) []*codeGroup {
	var out []*codeGroup
	by := map[string]*codeGroup{}
	for _, g := range r.RootCauses {
		c := by[g.Code]
		if c == nil {
			c = &codeGroup{code: g.Code, severity: g.Severity, title: g.Title}
			by[g.Code] = c
			out = append(out, c)
		}
		c.groups = append(c.groups, g)
		c.pairs += len(g.Pairs)
	}
	return out
}

// ownFix is the fix of a root cause no destination fix heals, as its first
// pair's finding carries it (nil when it has none): what to do there.
func ownFix(r *diagnose.ScanReport, g diagnose.ScanRootCause) *diagnose.Fix {
	if g.FixedBy || len(g.Pairs) == 0 {
		return nil
	}
	first := g.Pairs[0]
	for _, p := range r.Pairs {
		if p.Source != first.Source || p.Repository != first.Repository || p.Destination != g.Destination {
			continue
		}
		for _, f := range p.Findings {
			if f.Code == g.Code && f.Fix != nil && len(f.Fix.Steps) > 0 {
				return f.Fix
			}
		}
	}
	return nil
}

// ownFixLead introduces the steps of a root cause's own fix.
func ownFixLead(g diagnose.ScanRootCause) string {
	if len(g.Pairs) == 1 {
		return "What to do:"
	}
	return fmt.Sprintf("What to do (for %s; the others the same way):", g.Pairs[0].Repository)
}

// bySource splits a root cause's pairs by source, in order.
func bySource(pairs []diagnose.ScanPairRef) ([]diagnose.Location, map[diagnose.Location][]string) {
	var order []diagnose.Location
	repos := map[diagnose.Location][]string{}
	for _, p := range pairs {
		if _, ok := repos[p.Source]; !ok {
			order = append(order, p.Source)
		}
		repos[p.Source] = append(repos[p.Source], p.Repository)
	}
	return order, repos
}

func (t *textWriter) scanRootCauses(r *diagnose.ScanReport) {
	st := t.st
	codes := scanCodeGroups(r)
	if len(codes) == 0 {
		return
	}
	fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Root causes"))
	for _, c := range codes {
		sev := st.bad
		if c.severity != diagnose.SeverityError {
			sev = st.warn
		}
		head := fmt.Sprintf("%s %s: %s at %s", strings.ToUpper(string(c.severity)), c.code, plural(c.pairs, "pair", "pairs"), plural(len(c.groups), "destination", "destinations"))
		for i, l := range wrapLines(head, t.width-2) {
			if i == 0 {
				word, rest, _ := strings.Cut(l, " ")
				fmt.Fprintf(&t.b, "\n%s %s\n", sev.Render(word), st.label.Render(rest))
			} else {
				fmt.Fprintf(&t.b, "  %s\n", st.label.Render(l))
			}
		}
		t.para(strings.ReplaceAll(c.title, "`", ""), "  ", "  ")
		for _, g := range c.groups {
			srcs, repos := bySource(g.Pairs)
			var parts []string
			for _, s := range srcs {
				parts = append(parts, fmt.Sprintf("%s of %s: %s", plural(len(repos[s]), "repository", "repositories"), s, t.names(repos[s], maxNamed)))
			}
			t.para(fmt.Sprintf("%s: %s", g.Destination, strings.Join(parts, "; ")), "  - ", "    ")
			t.para(g.Summary, "    ", "    ")
			if t.verbose {
				for _, e := range g.Evidence {
					meta := e.Kind
					if !e.Source.IsZero() {
						meta += "  " + e.Source.String()
					}
					if e.Time != "" {
						meta += "  " + e.Time
					}
					t.para(meta, "    "+bulletOf(st)+" ", "      ")
					t.para(e.Text, "        ", "        ")
				}
			} else if len(g.Evidence) > 0 {
				t.shortened = true
			}
			if g.FixedBy {
				t.para(fixedByLine(r, g), "    ", "    ")
			} else if fx := ownFix(r, g); fx != nil {
				t.para(ownFixLead(g), "    ", "    ")
				for i, step := range fx.Steps {
					t.para(step, fmt.Sprintf("    %d. ", i+1), "       ")
				}
				if fx.Backfill != "" {
					t.b.WriteString("    Backfill (source credentials, after the rest of the fix):\n")
					t.code(fx.Backfill, "      ", true)
				}
			}
		}
	}
}

func bulletOf(st textStyles) string {
	if st.term {
		return "•"
	}
	return "-"
}

func (t *textWriter) scanFixes(r *diagnose.ScanReport) {
	st := t.st
	if len(r.Fixes) == 0 {
		return
	}
	fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Fixes"))
	t.para("One per destination: its registry policy is read for every repository replicated there, so one grant heals them all.", "  ", "  ")
	for _, f := range r.Fixes {
		head := fmt.Sprintf("Fix for %s: heals %s (%s)", f.Destination, plural(f.Pairs, "pair", "pairs"), strings.Join(f.Codes, ", "))
		fmt.Fprintf(&t.b, "\n")
		for i, l := range wrapLines(head, t.width-2) {
			if i > 0 {
				l = "  " + l
			}
			t.b.WriteString(st.label.Render(l) + "\n")
		}
		dst := f.Destination
		fx := f.Fix
		t.fixOf(&fx, &dst, func() {
			if len(f.RepositorySteps) == 0 {
				return
			}
			fmt.Fprintf(&t.b, "\n  In each repository, besides (%s):\n", plural(len(f.RepositorySteps), "repository", "repositories"))
			shown := f.RepositorySteps
			if !t.verbose && len(shown) > maxNamed {
				shown = shown[:maxNamed]
			}
			for _, rs := range shown {
				for _, s := range rs.Steps {
					t.para(fmt.Sprintf("%s (%s): %s", rs.Repository, rs.Source, s), "  - ", "    ")
				}
			}
			if n := len(f.RepositorySteps) - len(shown); n > 0 {
				t.shortened = true
				t.para(fmt.Sprintf("and %s the same way (--verbose, --output markdown or json list every one)", plural(n, "more repository", "more repositories")), "  - ", "    ")
			}
		})
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// ScanMarkdown writes a scan report for a ticket or a wiki page: the
// verdict, the sources, the matrix as one table per source, the root
// causes by code with every repository they affect, and one fix per
// destination in full (a page has no --verbose: nothing is cut).
func ScanMarkdown(w io.Writer, r *diagnose.ScanReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## ecrdoctor scan: %s\n\n", r.Verdict)
	fmt.Fprintf(&b, "**%s**\n\n", mdText(ScanHeadline(r)))
	if r.CapturedAt != "" {
		fmt.Fprintf(&b, "Captured at %s.\n\n", r.CapturedAt)
	}
	b.WriteString("### Sources\n\n| Source | Verdict | Rules | Repositories | Replicated | Not covered by any rule |\n|---|---|---|---|---|---|\n")
	for _, s := range r.Sources {
		rules := "unknown"
		if s.RulesKnown {
			rules = fmt.Sprint(s.Rules)
		}
		not := mdCodeList(s.NotCovered)
		if s.Note != "" {
			not = strings.TrimPrefix(not+"; ", "; ") + mdCell(s.Note)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %s |\n", s.Location, s.Verdict, rules, s.Repositories, s.Covered, not)
	}
	b.WriteString("\n")
	if len(r.Pairs) > 0 {
		b.WriteString("### Destinations\n\n| # | Destination | Kind | Pairs |\n|---|---|---|---|\n")
		for i, d := range r.Destinations {
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", i+1, d.Location, d.Kind, columnCounts(r, d.Location))
		}
		b.WriteString("\n### Matrix\n\n✅ healthy · ❌ failing · ❓ unknown · – not replicated there\n\n")
		order, rows := matrixRows(r)
		for _, src := range order {
			fmt.Fprintf(&b, "#### %s\n\n| Repository |", src)
			for i := range r.Destinations {
				fmt.Fprintf(&b, " %d |", i+1)
			}
			b.WriteString("\n|---|" + strings.Repeat("---|", len(r.Destinations)) + "\n")
			for _, row := range rows[src] {
				fmt.Fprintf(&b, "| %s |", mdCode(row.repo))
				for i := range r.Destinations {
					fmt.Fprintf(&b, " %s |", mdMark(row.cells[i], row.has[i]))
				}
				b.WriteString("\n")
			}
			b.WriteString("\n")
		}
	}
	if codes := scanCodeGroups(r); len(codes) > 0 {
		b.WriteString("### Root causes\n\n")
		for _, c := range codes {
			fmt.Fprintf(&b, "#### %s `%s`: %s at %s\n\n", strings.ToUpper(string(c.severity)), c.code, plural(c.pairs, "pair", "pairs"), plural(len(c.groups), "destination", "destinations"))
			// The catalogue's titles are Markdown already (the README's
			// code table prints them).
			fmt.Fprintf(&b, "%s\n\n", c.title)
			for _, g := range c.groups {
				srcs, repos := bySource(g.Pairs)
				var parts []string
				for _, s := range srcs {
					parts = append(parts, fmt.Sprintf("%s of %s: %s", plural(len(repos[s]), "repository", "repositories"), s, mdCodeList(repos[s])))
				}
				fmt.Fprintf(&b, "- **%s**: %s\n\n  %s", g.Destination, strings.Join(parts, "; "), mdText(g.Summary))
				if g.FixedBy {
					b.WriteString(" " + mdText(fixedByLine(r, g)))
				}
				b.WriteString("\n\n")
				if fx := ownFix(r, g); fx != nil {
					fmt.Fprintf(&b, "  %s\n\n", mdText(ownFixLead(g)))
					for i, step := range fx.Steps {
						fmt.Fprintf(&b, "  %d. %s\n", i+1, mdText(step))
					}
					b.WriteString("\n")
					if fx.Backfill != "" {
						fmt.Fprintf(&b, "  Backfill (source credentials, after the rest of the fix):\n\n  ```sh\n  %s\n  ```\n\n", strings.ReplaceAll(fx.Backfill, "\n", "\n  "))
					}
				}
				mdEvidence(&b, g.Evidence, "  ")
				if len(g.Evidence) > 0 {
					b.WriteString("\n")
				}
			}
		}
	}
	if len(r.Fixes) > 0 {
		b.WriteString("### Fixes\n\nOne per destination: its registry policy is read for every repository replicated there, so one grant heals them all.\n\n")
		for _, f := range r.Fixes {
			title := ""
			if f.Fix.RegistryPolicy != nil && f.Fix.Verified {
				title = " (verified by the evaluator)"
			}
			fmt.Fprintf(&b, "#### Fix for %s%s\n\nHeals %s: %s.\n\n", f.Destination, title, plural(f.Pairs, "pair", "pairs"), mdCodeList(f.Codes))
			fx := f.Fix
			mdFix(&b, &fx, func() {
				if len(f.RepositorySteps) == 0 {
					return
				}
				b.WriteString("In each repository, besides:\n\n")
				for _, rs := range f.RepositorySteps {
					for _, s := range rs.Steps {
						fmt.Fprintf(&b, "- %s (%s): %s\n", mdCode(rs.Repository), rs.Source, mdText(s))
					}
				}
				b.WriteString("\n")
			})
		}
	}
	if len(r.Warnings) > 0 {
		b.WriteString("### Warnings\n\n")
		for _, wn := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", mdText(wn))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdMark(v diagnose.Verdict, replicated bool) string {
	switch {
	case !replicated:
		return "–"
	case v == diagnose.Healthy:
		return "✅"
	case v == diagnose.Failing:
		return "❌"
	}
	return "❓"
}

// mdCodeList is names as code spans, comma-separated ("none" when empty).
func mdCodeList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = mdCode(n)
	}
	return strings.Join(parts, ", ")
}

// mdCell is text for a table cell: escaped (a pipe too), on one line.
func mdCell(s string) string {
	return mdText(strings.ReplaceAll(s, "\n", " "))
}

// fixedByLine points a root cause at its destination's fix, and says so
// when that fix is not verified (the registry policy could not be read, an
// explicit Deny stays): then it is what to do, not a promise of a heal.
func fixedByLine(r *diagnose.ScanReport, g diagnose.ScanRootCause) string {
	for _, f := range r.Fixes {
		if f.Destination == g.Destination && !f.Fix.Verified {
			return fmt.Sprintf("The fix for %s below grants what is missing, but is not verified: follow its steps.", g.Destination)
		}
	}
	return fmt.Sprintf("Healed by the fix for %s below.", g.Destination)
}
