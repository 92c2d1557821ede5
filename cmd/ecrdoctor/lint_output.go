package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/terraform"
)

func writeLintJSON(w io.Writer, res *terraform.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

func lintCounts(res *terraform.Result) string {
	n := map[diagnose.Severity]int{}
	for _, f := range res.Findings {
		n[f.Severity]++
	}
	return fmt.Sprintf("%s, %s, %s in %s (%s)",
		plural(n[diagnose.SeverityError], "error"), plural(n[diagnose.SeverityWarning], "warning"), plural(n[diagnose.SeverityInfo], "note"),
		plural(res.Checked.Files, "file"), plural(res.Checked.Resources, "resource"))
}

func location(s terraform.Source) string {
	if s.File == "" || s.Line == 0 { // a plan has no lines: the address says where
		return s.File
	}
	return fmt.Sprintf("%s:%d:%d", s.File, s.Line, s.Column)
}

func writeLintText(w io.Writer, res *terraform.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ecrdoctor lint: %s\n", lintCounts(res))
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "\n%s %s %s", f.Severity, f.Code, location(f.Location))
		if f.Location.Address != "" {
			fmt.Fprintf(&b, " (%s)", f.Location.Address)
		}
		fmt.Fprintf(&b, "\n%s\n%s\n", indent(wrapText(f.Summary, 96), "  "), indent(wrapText(f.Detail, 96), "  "))
		if f.Fix == nil {
			continue
		}
		head := "  Fix:"
		if f.Fix.Verified {
			head = "  Fix (verified by the evaluator):"
		}
		b.WriteString(head + "\n")
		for _, st := range f.Fix.Steps {
			b.WriteString(indentFirst(wrapText(st, 92), "    - ", "      ") + "\n")
		}
		for _, r := range f.Fix.Remove {
			fmt.Fprintf(&b, "    - Remove %s (%s).\n", r.Address, location(r))
		}
		if f.Fix.Terraform != "" {
			b.WriteString("    Terraform:\n")
			for _, line := range strings.Split(strings.TrimRight(f.Fix.Terraform, "\n"), "\n") {
				b.WriteString(strings.TrimRight("      "+line, " ") + "\n")
			}
		}
	}
	if len(res.Warnings) > 0 {
		b.WriteString("\nWarnings (what lint could not check):\n")
		for _, wn := range res.Warnings {
			b.WriteString(indentFirst(wrapText(wn, 96), "  - ", "    ") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeLintMarkdown(w io.Writer, res *terraform.Result) error {
	var b strings.Builder
	mark := "no replication problem found"
	if res.HasErrors() {
		mark = "replication problems found"
	}
	fmt.Fprintf(&b, "## ecrdoctor lint: %s\n\n%s.\n", mark, lintCounts(res))
	if len(res.Findings) > 0 {
		b.WriteString("\n| Severity | Code | Where | Summary |\n|---|---|---|---|\n")
		for _, f := range res.Findings {
			fmt.Fprintf(&b, "| %s | `%s` | `%s` %s | %s |\n", f.Severity, f.Code, location(f.Location), mdCell(f.Location.Address), mdCell(f.Summary))
		}
	}
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "\n### `%s` at `%s`\n\n%s\n\n%s\n", f.Code, location(f.Location), mdText(f.Summary), mdText(f.Detail))
		if f.Fix == nil {
			continue
		}
		b.WriteString("\n**Fix**")
		if f.Fix.Verified {
			b.WriteString(" (verified by the evaluator)")
		}
		b.WriteString(":\n\n")
		for _, st := range f.Fix.Steps {
			fmt.Fprintf(&b, "- %s\n", mdText(st))
		}
		for _, r := range f.Fix.Remove {
			fmt.Fprintf(&b, "- Remove `%s` (`%s`).\n", r.Address, location(r))
		}
		if f.Fix.Terraform != "" {
			fmt.Fprintf(&b, "\n```hcl\n%s\n```\n", strings.TrimRight(f.Fix.Terraform, "\n"))
		}
	}
	if len(res.Warnings) > 0 {
		b.WriteString("\n<details><summary>Warnings: what lint could not check</summary>\n\n")
		for _, wn := range res.Warnings {
			fmt.Fprintf(&b, "- %s\n", mdCell(wn))
		}
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdText keeps symbolic names such as <account of profile x> from being
// read as HTML tags.
func mdText(s string) string { return strings.ReplaceAll(s, "<", "&lt;") }

func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(mdText(s), "|", `\|`), "\n", " ")
}

// SARIF 2.1.0, for code scanning: one rule per catalogue code, one result
// per finding with its file and start line.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string      `json:"id"`
	ShortDescription     sarifText   `json:"shortDescription"`
	FullDescription      sarifText   `json:"fullDescription"`
	Help                 sarifText   `json:"help"`
	HelpURI              string      `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfig `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func sarifLevel(s diagnose.Severity) string {
	switch s {
	case diagnose.SeverityError:
		return "error"
	case diagnose.SeverityWarning:
		return "warning"
	}
	return "note"
}

// sarifURI is a file path as a URI reference: relative paths stay relative
// (code scanning resolves them against the checkout), absolute ones become
// file: URIs.
func sarifURI(p string) string {
	p = filepath.ToSlash(p)
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := strings.Join(segs, "/")
	if strings.HasPrefix(p, "/") {
		return "file://" + u
	}
	return strings.TrimPrefix(u, "./")
}

func writeLintSARIF(w io.Writer, res *terraform.Result) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "ecrdoctor", Version: buildVersion(), InformationURI: "https://github.com/ecrdoctor/ecrdoctor",
			Rules: []sarifRule{},
		}},
		Results: []sarifResult{},
	}
	index := map[string]int{}
	for i, c := range diagnose.Catalogue {
		index[c.Code] = i
		title := strings.ReplaceAll(c.Title, "`", "")
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   c.Code,
			ShortDescription:     sarifText{Text: title, Markdown: c.Title},
			FullDescription:      sarifText{Text: c.Help},
			Help:                 sarifText{Text: c.Help + " See " + c.Doc, Markdown: c.Help + "\n\nSee [the AWS documentation](" + c.Doc + ")."},
			HelpURI:              c.Doc,
			DefaultConfiguration: sarifConfig{Level: sarifLevel(c.Severity)},
		})
	}
	for _, f := range res.Findings {
		loc := sarifLocation{}
		if f.Location.File != "" {
			loc.PhysicalLocation = &sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: sarifURI(f.Location.File)},
				Region:           sarifRegion{StartLine: max(f.Location.Line, 1), StartColumn: f.Location.Column},
			}
		}
		if f.Location.Address != "" {
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Location.Address, Kind: "resource"}}
		}
		msg := f.Summary + " " + f.Detail
		run.Results = append(run.Results, sarifResult{
			RuleID: f.Code, RuleIndex: index[f.Code], Level: sarifLevel(f.Severity),
			Message: sarifText{Text: msg}, Locations: []sarifLocation{loc},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

func wrapText(s string, width int) string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				lines = append(lines, line)
				line = word
				continue
			}
			if line == "" {
				line = word
			} else {
				line += " " + word
			}
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func indentFirst(s, first, rest string) string {
	return first + strings.ReplaceAll(s, "\n", "\n"+rest)
}
