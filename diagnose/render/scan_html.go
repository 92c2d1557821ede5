package render

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// The HTML report is one file a person opens in a browser, offline: the
// stylesheet and the script are inlined, fonts come from the system, and
// the page's Content-Security-Policy allows nothing to be fetched and no
// script but its own (by hash), so a policy text or a CloudTrail message
// that slipped past the escaping still could not run or call out.

var (
	//go:embed scanhtml/report.html.tmpl
	scanHTMLTemplate string
	//go:embed scanhtml/report.css
	scanHTMLCSS string
	//go:embed scanhtml/report.js
	scanHTMLJS string

	scanHTMLPage = template.Must(template.New("scan").Funcs(template.FuncMap{
		"md":     mdSpans,
		"plural": plural,
		"add":    func(a, b int) int { return a + b },
		"sub":    func(a, b int) int { return a - b },
	}).Parse(scanHTMLTemplate))
)

// ScanHTML writes a scan report as a self-contained HTML page: the verdict
// and counts, the matrix (repositories × destinations, a symbol and a
// colour a cell, the pair's root cause on hover or click), filters by
// source account, root-cause code, verdict and repository name, and the
// root causes grouped by destination with their repositories, evidence and
// the destination's fix.
func ScanHTML(w io.Writer, r *diagnose.ScanReport) error {
	var b bytes.Buffer
	if err := scanHTMLPage.Execute(&b, newScanHTMLView(r)); err != nil {
		return fmt.Errorf("rendering the HTML scan report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// scanHTMLView is what the template draws: the report, reshaped.
type scanHTMLView struct {
	Verdict  string // healthy, failing, unknown
	Headline string
	R        *diagnose.ScanReport
	Accounts []string // the source accounts, for the filter
	Codes    []htmlCode
	Dests    []htmlDest
	Sources  []htmlSource
	Groups   []htmlDestGroup
	Notes    []string
	// ManySources: the repositories listed under a root cause name their
	// source registry.
	ManySources bool
	CSS         template.CSS
	JS          template.JS
	CSP         string
}

type htmlCode struct {
	Code, Title string
	Pairs       int
}

type htmlDest struct {
	Location string
	Account  string
	Region   string
	Kind     string
	// The column's pairs by verdict.
	Failing, Unknown, Healthy int
}

type htmlSource struct {
	diagnose.ScanSource
	Rows []htmlRow
}

type htmlRow struct {
	Repository string
	Cells      []htmlCell
}

type htmlCell struct {
	Verdict string // healthy, failing, unknown, none
	Symbol  string
	Code    string
	// Cause is the id of the root cause's card, "" for none.
	Cause string
	// Note is the index of the pair's summary in Notes, -1 for none. The
	// script builds a cell's tooltip from it when the pointer gets there:
	// a thousand repositories' summaries, each written once, instead of a
	// title on every cell, halve the page.
	Note int
}

type htmlDestGroup struct {
	htmlDest
	Causes []htmlCause
	Fix    *htmlFix
}

type htmlCause struct {
	ID       string
	Code     string
	Title    string
	Severity string
	Summary  string
	FixedBy  bool
	Pairs    []diagnose.ScanPairRef
	Evidence []diagnose.Evidence
	// OwnFix is the first pair's own fix when the destination's does not
	// heal this cause.
	OwnFix     *htmlFix
	OwnFixRepo string
}

type htmlFix struct {
	Steps     []string
	Policy    string
	AWSCLI    string
	Terraform string
	Backfill  string
	Verified  bool
	HasPolicy bool
	Codes     []string
	Pairs     int
	// RepositorySteps are what to do besides in each repository.
	RepositorySteps []diagnose.ScanRepositoryStep
}

func newScanHTMLView(r *diagnose.ScanReport) *scanHTMLView {
	v := &scanHTMLView{
		Verdict:  string(r.Verdict),
		Headline: ScanHeadline(r),
		R:        r,
		CSS:      template.CSS(scanHTMLCSS),
		JS:       template.JS(scanHTMLJS),
	}
	v.CSP = fmt.Sprintf("default-src 'none'; img-src data:; style-src '%s'; script-src '%s'; base-uri 'none'; form-action 'none'", cspHash(scanHTMLCSS), cspHash(scanHTMLJS))

	seen := map[string]bool{}
	for _, s := range r.Sources {
		if !seen[s.Account] {
			seen[s.Account] = true
			v.Accounts = append(v.Accounts, s.Account)
		}
	}
	sort.Strings(v.Accounts)

	col := map[diagnose.Location]int{}
	for i, d := range r.Destinations {
		col[d.Location] = i
		v.Dests = append(v.Dests, htmlDest{Location: d.Location.String(), Account: d.Account, Region: d.Region, Kind: d.Kind})
	}

	// Root causes, grouped by destination in the order of their first
	// (most severe) cause.
	causeID := map[string]string{} // code + destination -> card id
	groupOf := map[diagnose.Location]int{}
	codePairs := map[string]int{}
	for i, g := range r.RootCauses {
		gi, ok := groupOf[g.Destination]
		if !ok {
			gi = len(v.Groups)
			groupOf[g.Destination] = gi
			// The column's counts are filled in once the pairs are drawn.
			v.Groups = append(v.Groups, htmlDestGroup{htmlDest: htmlDest{Location: g.Destination.String(), Account: g.Destination.Account, Region: g.Destination.Region}})
		}
		id := fmt.Sprintf("rc-%d", i+1)
		causeID[g.Code+" "+g.Destination.String()] = id
		codePairs[g.Code] += len(g.Pairs)
		c := htmlCause{ID: id, Code: g.Code, Title: g.Title, Severity: string(g.Severity), Summary: g.Summary, FixedBy: g.FixedBy, Pairs: g.Pairs, Evidence: g.Evidence}
		if !g.FixedBy && len(g.Pairs) > 0 {
			c.OwnFix, c.OwnFixRepo = pairFix(r, g), g.Pairs[0].Repository
		}
		v.Groups[gi].Causes = append(v.Groups[gi].Causes, c)
	}
	for i := range v.Groups {
		grp := &v.Groups[i]
		for _, f := range r.Fixes {
			if f.Destination.String() == grp.Location {
				grp.Fix = newHTMLFix(&f.Fix)
				grp.Fix.Codes, grp.Fix.Pairs, grp.Fix.RepositorySteps = f.Codes, f.Pairs, f.RepositorySteps
			}
		}
	}
	for code, n := range codePairs {
		info, _ := diagnose.Lookup(code)
		v.Codes = append(v.Codes, htmlCode{Code: code, Title: info.Title, Pairs: n})
	}
	sort.Slice(v.Codes, func(i, j int) bool { return v.Codes[i].Code < v.Codes[j].Code })

	// The matrix: one row per repository, grouped by source registry.
	srcIndex := map[diagnose.Location]int{}
	notes := map[string]int{}
	for _, s := range r.Sources {
		srcIndex[s.Location] = len(v.Sources)
		v.Sources = append(v.Sources, htmlSource{ScanSource: s})
	}
	for _, p := range r.Pairs {
		si, ok := srcIndex[p.Source]
		if !ok { // a pair of a source the report does not list: show it anyway
			si = len(v.Sources)
			srcIndex[p.Source] = si
			v.Sources = append(v.Sources, htmlSource{ScanSource: diagnose.ScanSource{Location: p.Source, Verdict: diagnose.Unknown}})
		}
		src := &v.Sources[si]
		if n := len(src.Rows); n == 0 || src.Rows[n-1].Repository != p.Repository {
			cells := make([]htmlCell, len(r.Destinations))
			for i := range cells {
				cells[i] = htmlCell{Verdict: "none", Symbol: "–", Note: -1}
			}
			src.Rows = append(src.Rows, htmlRow{Repository: p.Repository, Cells: cells})
		}
		i, ok := col[p.Destination]
		if !ok {
			continue
		}
		switch d := &v.Dests[i]; p.Verdict {
		case diagnose.Failing:
			d.Failing++
		case diagnose.Healthy:
			d.Healthy++
		default:
			d.Unknown++
		}
		c := &src.Rows[len(src.Rows)-1].Cells[i]
		c.Verdict, c.Symbol, c.Code = string(p.Verdict), verdictSymbol(p.Verdict), p.RootCause
		c.Cause = causeID[p.RootCause+" "+p.Destination.String()]
		c.Note = -1
		if p.Summary != "" {
			n, ok := notes[p.Summary]
			if !ok {
				n = len(v.Notes)
				notes[p.Summary] = n
				v.Notes = append(v.Notes, strings.ReplaceAll(p.Summary, "`", ""))
			}
			c.Note = n
		}
	}
	v.ManySources = len(v.Sources) > 1
	for i := range v.Groups {
		g := &v.Groups[i]
		for _, d := range v.Dests {
			if d.Location == g.Location {
				g.htmlDest = d
			}
		}
	}
	return v
}

// pairFix is the fix of the first pair of a root cause that the
// destination's fix does not heal: its own finding's.
func pairFix(r *diagnose.ScanReport, g diagnose.ScanRootCause) *htmlFix {
	first := g.Pairs[0]
	for _, p := range r.Pairs {
		if p.Source != first.Source || p.Repository != first.Repository || p.Destination != g.Destination {
			continue
		}
		for i := range p.Findings {
			if f := &p.Findings[i]; f.Code == g.Code && f.Fix != nil {
				return newHTMLFix(f.Fix)
			}
		}
	}
	return nil
}

func newHTMLFix(f *diagnose.Fix) *htmlFix {
	h := &htmlFix{Steps: f.Steps, AWSCLI: f.AWSCLI, Terraform: f.Terraform, Backfill: f.Backfill, Verified: f.Verified}
	if len(f.RegistryPolicy) > 0 {
		h.HasPolicy = true
		var b bytes.Buffer
		if json.Indent(&b, f.RegistryPolicy, "", "  ") == nil {
			h.Policy = b.String()
		} else {
			h.Policy = string(f.RegistryPolicy)
		}
	}
	return h
}

// cspHash is the Content-Security-Policy source that allows exactly this
// inline text.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// mdSpan is a piece of a catalogue title, summary or step: the text
// between backticks is code.
type mdSpan struct {
	Text string
	Code bool
}

// mdSpans splits s at its backticks, so `aws ecr ...` shows as code and
// the backticks themselves do not.
func mdSpans(s string) []mdSpan {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unpaired backtick: keep the text as it is
		return []mdSpan{{Text: s}}
	}
	out := make([]mdSpan, 0, len(parts))
	for i, p := range parts {
		if p != "" {
			out = append(out, mdSpan{Text: p, Code: i%2 == 1})
		}
	}
	return out
}
