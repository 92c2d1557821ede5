package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

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

// ScanText writes a scan report for a person: the verdict and counts, the
// matrix (one row per repository, one column per destination, one mark a
// cell), the root causes grouped by code with the repositories they
// affect, and one fix per destination.
func ScanText(w io.Writer, r *diagnose.ScanReport, opts TextOptions) error {
	from := opts.ColorFrom
	if from == nil {
		from = w
	}
	width := opts.Width
	if width <= 0 {
		width = DefaultWidth
	}
	t := &textWriter{st: newStyles(from, opts.Terminal), width: max(width, minWidth), verbose: opts.Verbose}
	t.scan(r)
	_, err := io.WriteString(w, t.b.String())
	return err
}

// ScanHeadline is the scan's verdict in one sentence.
func ScanHeadline(r *diagnose.ScanReport) string {
	s := r.Summary
	return fmt.Sprintf("%d of %d repository × destination pairs failing, %d unknown, %d healthy (%d repositories in %d source registries).",
		s.Failing, s.Pairs, s.Unknown, s.Healthy, s.Repositories, s.Sources)
}

// scanMark is a cell of the matrix, the same off and on a terminal.
func scanMark(v diagnose.Verdict) string {
	switch v {
	case diagnose.Healthy:
		return "ok"
	case diagnose.Failing:
		return "FAIL"
	case diagnose.Unknown:
		return "?"
	}
	return "-"
}

func (t *textWriter) scan(r *diagnose.ScanReport) {
	st := t.st
	for i, l := range wrapLines(strings.ToUpper(string(r.Verdict))+": "+ScanHeadline(r), t.width-2) {
		if i > 0 {
			l = "  " + l
		}
		t.b.WriteString(st.title.Render(l) + "\n")
	}

	fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Sources"))
	for _, s := range r.Sources {
		line := fmt.Sprintf("%s  %s: %d rule(s), %d repositories, %d replicated", s.Location, s.Verdict, s.Rules, s.Repositories, s.Covered)
		if s.Note != "" {
			line += " — " + s.Note
		}
		t.para(line, "  ", "    ")
	}

	if len(r.Pairs) > 0 {
		fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Matrix"))
		t.b.WriteString("  columns:\n")
		for i, d := range r.Destinations {
			kind := "cross-region"
			if d.CrossAccount {
				kind = "cross-account"
			}
			fmt.Fprintf(&t.b, "    [%d] %s (%s)\n", i+1, d.Location, kind)
		}
		col := map[diagnose.Location]int{}
		for i, d := range r.Destinations {
			col[d.Location] = i
		}
		type row struct {
			src   diagnose.Location
			repo  string
			cells []string
		}
		var rows []*row
		nameW := len("repository")
		for _, p := range r.Pairs {
			if len(rows) == 0 || rows[len(rows)-1].src != p.Source || rows[len(rows)-1].repo != p.Repository {
				cells := make([]string, len(r.Destinations))
				for i := range cells {
					cells[i] = "-"
				}
				rows = append(rows, &row{src: p.Source, repo: p.Repository, cells: cells})
				nameW = max(nameW, len(p.Source.String())+1+len(p.Repository))
			}
			rows[len(rows)-1].cells[col[p.Destination]] = scanMark(p.Verdict)
		}
		fmt.Fprintf(&t.b, "  %-*s", nameW, "repository")
		for i := range r.Destinations {
			fmt.Fprintf(&t.b, " %-5s", fmt.Sprintf("[%d]", i+1))
		}
		t.b.WriteString("\n")
		for _, rw := range rows {
			fmt.Fprintf(&t.b, "  %-*s", nameW, rw.src.String()+" "+rw.repo)
			for _, c := range rw.cells {
				fmt.Fprintf(&t.b, " %-5s", c)
			}
			t.b.WriteString("\n")
		}
		t.b.WriteString("  ok healthy · FAIL failing · ? unknown · - not replicated there\n")
	}

	for _, g := range r.RootCauses {
		fmt.Fprintf(&t.b, "\n%s\n", st.label.Render(fmt.Sprintf("%s %s → %s (%d)", strings.ToUpper(string(g.Severity)), g.Code, g.Destination, len(g.Pairs))))
		t.para(g.Summary, "  ", "  ")
		var names []string
		for _, p := range g.Pairs {
			names = append(names, p.Source.String()+" "+p.Repository)
		}
		t.para("Repositories: "+strings.Join(names, ", "), "  ", "    ")
	}

	for _, f := range r.Fixes {
		fmt.Fprintf(&t.b, "\n%s\n", st.label.Render(fmt.Sprintf("Fix for %s (heals %d pair(s): %s)", f.Destination, f.Pairs, strings.Join(f.Codes, ", "))))
		for _, step := range f.Fix.Steps {
			t.para(step, "  - ", "    ")
		}
		if f.Fix.AWSCLI != "" {
			t.code(f.Fix.AWSCLI, "    ", true)
		}
	}

	if len(r.Warnings) > 0 {
		fmt.Fprintf(&t.b, "\n%s\n", st.label.Render("Warnings"))
		for _, wn := range r.Warnings {
			t.para(wn, "  - ", "    ")
		}
	}
}
