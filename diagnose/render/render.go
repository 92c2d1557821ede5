// Package render writes a diagnose.Report as text for a terminal, JSON for
// ticket bots, or Markdown for pasting into a ticket.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// JSON writes the report as indented JSON. Lists are never null.
func JSON(w io.Writer, r *diagnose.Report) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(normalize(r)); err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// normalize returns a copy of r with every nil list made empty, so the JSON
// never says null where a list is expected.
func normalize(r *diagnose.Report) *diagnose.Report {
	c := *r
	if c.Destinations == nil {
		c.Destinations = []diagnose.DestinationReport{}
	}
	if c.Warnings == nil {
		c.Warnings = []string{}
	}
	c.Findings = make([]diagnose.Finding, len(r.Findings))
	for i, f := range r.Findings {
		if f.Evidence == nil {
			f.Evidence = []diagnose.Evidence{}
		}
		if f.Fix != nil && f.Fix.Steps == nil {
			fx := *f.Fix
			fx.Steps = []string{}
			f.Fix = &fx
		}
		c.Findings[i] = f
	}
	return &c
}

type textStyles struct {
	title, bad, warn, good, info, dim, code, label lipgloss.Style
	term                                           bool
}

func newStyles(w io.Writer, term bool) textStyles {
	re := lipgloss.NewRenderer(w)
	s := textStyles{term: term}
	plain := re.NewStyle()
	s.title, s.bad, s.warn, s.good, s.info, s.dim, s.code, s.label = plain, plain, plain, plain, plain, plain, plain, plain
	if term {
		s.title = re.NewStyle().Bold(true)
		s.bad = re.NewStyle().Foreground(lipgloss.Color("9")).Bold(true)
		s.warn = re.NewStyle().Foreground(lipgloss.Color("11"))
		s.good = re.NewStyle().Foreground(lipgloss.Color("10"))
		s.info = re.NewStyle().Foreground(lipgloss.Color("12"))
		s.dim = re.NewStyle().Faint(true)
		s.code = re.NewStyle().Foreground(lipgloss.Color("14"))
		s.label = re.NewStyle().Bold(true) // no Underline: lipgloss styles an underlined text one letter at a time
	}
	return s
}

// Headline is the one-sentence root cause the text and Markdown lead with.
func Headline(r *diagnose.Report) string {
	for _, f := range r.Findings {
		if f.Severity == diagnose.SeverityError {
			return f.Summary
		}
	}
	switch r.Verdict {
	case diagnose.Unknown:
		for _, f := range r.Findings {
			if f.Severity == diagnose.SeverityWarning {
				return "Replication status unknown: " + lowerFirst(f.Summary)
			}
		}
		return fmt.Sprintf("Replication of %s could not be judged: see the warnings.", r.Repository)
	case diagnose.Healthy:
		if len(r.Destinations) == 0 {
			return fmt.Sprintf("Nothing is wrong with the replication of %s that ecrdoctor can see.", r.Repository)
		}
		return fmt.Sprintf("Replication of %s to %s is healthy.", r.Repository, destList(r.Destinations))
	}
	return fmt.Sprintf("Replication of %s is failing.", r.Repository)
}

func destinationKind(d diagnose.DestinationReport) string {
	if d.CrossAccount {
		return "cross-account"
	}
	return "same account"
}

func destList(ds []diagnose.DestinationReport) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Account+"/"+d.Region)
	}
	return strings.Join(parts, ", ")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func findingTitle(rootCause bool, f diagnose.Finding) string {
	where := "source"
	if f.Destination != nil {
		where = f.Destination.Account + "/" + f.Destination.Region
	}
	label := "Root cause"
	if !rootCause {
		label = "Finding"
	}
	return fmt.Sprintf("%s: %s (%s, %s)", label, f.Code, f.Severity, where)
}

func eventsLine(r *diagnose.Report) string {
	e := r.Events
	if !e.Collected {
		if len(r.APICalls) > 0 {
			// Live: the lookup was tried; the warnings say why it failed.
			return fmt.Sprintf("CloudTrail: not read (see the warnings), so failed replication calls could not be checked (add --events PATH to read trail files instead); %d AWS API call(s).", apiTotal(r))
		}
		return "CloudTrail: not collected, so failed replication calls could not be checked (add --events PATH)."
	}
	s := fmt.Sprintf("CloudTrail: %d record(s) scanned, %d replication event(s) for %s", e.Scanned, e.Matched, r.Repository)
	if e.From != "" {
		s = fmt.Sprintf("CloudTrail from %s: %d record(s) read, %d replication event(s) for %s", e.From, e.Scanned, e.Matched, r.Repository)
	}
	if e.First != "" {
		s += fmt.Sprintf(", from %s to %s", e.First, e.Last)
	}
	if len(r.APICalls) > 0 {
		s += fmt.Sprintf("; %d AWS API call(s)", apiTotal(r))
	}
	return s + "."
}

// verdictSymbol is a cell's mark: the colour is never the only signal.
func verdictSymbol(v diagnose.Verdict) string {
	switch v {
	case diagnose.Healthy:
		return "✓"
	case diagnose.Failing:
		return "✗"
	case diagnose.Unknown:
		return "?"
	}
	return "–"
}

func verdictMark(st textStyles, v diagnose.Verdict) string {
	switch v {
	case diagnose.Failing:
		return st.bad.Render(verdictSymbol(v))
	case diagnose.Unknown:
		return st.warn.Render(verdictSymbol(v))
	}
	return st.good.Render(verdictSymbol(diagnose.Healthy))
}

func verdictWord(st textStyles, v diagnose.Verdict, word string) string {
	switch v {
	case diagnose.Failing:
		return st.bad.Render(word)
	case diagnose.Unknown:
		return st.warn.Render(word)
	}
	return st.good.Render(word)
}

func prettyJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

func apiTotal(r *diagnose.Report) int {
	total := 0
	for _, n := range r.APICalls {
		total += n
	}
	return total
}
