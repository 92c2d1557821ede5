package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/scangen"
	"github.com/ecrdoctor/ecrdoctor/diagnose/render"
)

var (
	htmlSources = []diagnose.Location{{Account: "111111111111", Region: "ap-northeast-1"}, {Account: "333333333333", Region: "ap-northeast-1"}}
	htmlDests   = []diagnose.Location{
		{Account: "111111111111", Region: "us-west-2"},
		{Account: "222222222222", Region: "ap-northeast-1"},
		{Account: "222222222222", Region: "eu-west-1"},
		{Account: "444444444444", Region: "us-east-1"},
		{Account: "555555555555", Region: "us-east-1"},
	}
)

// scanToHTML scans a snapshot folder with --output html --out, and returns
// the page's path and the scan's report to count against.
func scanToHTML(t *testing.T, dir string) (string, *diagnose.ScanReport) {
	t.Helper()
	return scanToHTMLExit(t, dir, exitFindings)
}

func scanToHTMLExit(t *testing.T, dir string, exit int) (string, *diagnose.ScanReport) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	if code, stdout, stderr := run(t, "", "scan", "--snapshot", dir, "--output", "html", "--out", out); code != exit || stdout != "" {
		t.Fatalf("scan --output html --out: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	snap, scope, err := collect.LoadScanDir(context.Background(), dir, collect.ScanLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diagnose.Scan(snap, scope)
	if err != nil {
		t.Fatal(err)
	}
	return out, rep
}

// generated writes a scangen snapshot folder.
func generated(t *testing.T, sp scangen.Spec) string {
	t.Helper()
	dir := t.TempDir()
	if err := scangen.Write(dir, sp); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cellKey names a cell as the page and the report both can: source, repository, column, verdict, code.
func cellKey(src diagnose.Location, repo string, col int, verdict, code string) string {
	return fmt.Sprintf("%s %s [%d] %s %s", src, repo, col, verdict, code)
}

// The page a user opens: it loads from a file with no console error and no
// request, its matrix has one cell per pair with the pair's verdict and root
// cause, and the filters narrow both the matrix and the root causes.
func TestScanHTMLInBrowser(t *testing.T) {
	page, rep := scanToHTML(t, filepath.Join("..", "..", "fixtures", "organization"))
	ctx := newBrowser(t)
	l := openPage(t, ctx, page, "#f-status:not(:empty)")

	col := map[diagnose.Location]int{}
	for i, d := range rep.Destinations {
		col[d.Location] = i
	}
	var want []string
	for _, p := range rep.Pairs {
		want = append(want, cellKey(p.Source, p.Repository, col[p.Destination], string(p.Verdict), p.RootCause))
	}
	got := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#matrix td.cell:not(.v-none)")).filter(td => td.getClientRects().length > 0).map(td => {
		const tr = td.parentNode, tb = tr.parentNode;
		const verdict = td.className.match(/\bv-(\w+)/)[1];
		return tb.querySelector("tr.srch .mono").textContent + " " + tr.cells[0].textContent + " [" + (td.cellIndex - 1) + "] " + verdict + " " + (td.dataset.code || "");
	})`)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the matrix shows %d cells, the report has %d pairs; first differences:\n%s", len(got), len(want), firstDiff(got, want))
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#matrix td.cell").length`); n != rep.Summary.Repositories*len(rep.Destinations) {
		t.Errorf("the matrix has %d cells, want %d repositories × %d destinations", n, rep.Summary.Repositories, len(rep.Destinations))
	}
	if s := eval[string](t, ctx, `document.getElementById("verdict").textContent`); !strings.Contains(s, "failing") {
		t.Errorf("the header's verdict reads %q", s)
	}
	screenshot(t, ctx, "scan-report.png")

	// A code narrows the rows to the repositories it affects, the cells to
	// its pairs, and the root causes to its own: the code of most pairs.
	count := func(keep func(p diagnose.ScanPair) bool) (rows map[string]bool, cells, causes int) {
		rows = map[string]bool{}
		for _, p := range rep.Pairs {
			if keep(p) {
				rows[p.Source.String()+" "+p.Repository] = true
				cells++
			}
		}
		for _, g := range rep.RootCauses {
			for _, ref := range g.Pairs {
				if keep(diagnose.ScanPair{Source: ref.Source, Repository: ref.Repository, Destination: g.Destination, RootCause: g.Code}) {
					causes++
					break
				}
			}
		}
		return rows, cells, causes
	}
	perCode := map[string]int{}
	code := ""
	for _, p := range rep.Pairs {
		if p.RootCause != "" {
			if perCode[p.RootCause]++; perCode[p.RootCause] > perCode[code] {
				code = p.RootCause
			}
		}
	}
	byCode := func(p diagnose.ScanPair) bool { return p.RootCause == code }
	rows, cells, causes := count(byCode)
	if len(rows) < 2 || len(rows) == rep.Summary.Repositories {
		t.Fatalf("%s has %d pairs in %d of %d repositories: a filter by it would not narrow the matrix", code, cells, len(rows), rep.Summary.Repositories)
	}
	selectOption(t, ctx, "f-code", code)
	checkVisible(t, ctx, len(rows), cells, causes)
	if s := eval[string](t, ctx, `document.getElementById("f-status").textContent`); !strings.Contains(s, fmt.Sprintf("%d of %d repositories · %d of %d pairs", len(rows), rep.Summary.Repositories, cells, rep.Summary.Pairs)) {
		t.Errorf("the filter's status reads %q", s)
	}
	screenshot(t, ctx, "scan-report-filtered.png")

	// The keyboard: the matrix is one Tab stop, its first row shown; the
	// arrow keys move down the rows shown, Enter opens the cell.
	stop := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#matrix [tabindex='0']")).map(td => td.parentNode.cells[0].textContent + " " + td.cellIndex)`)
	firstShown := eval[string](t, ctx, `Array.from(document.querySelectorAll("#matrix tr.row")).find(tr => !tr.hidden).cells[0].textContent`)
	if len(stop) != 1 || stop[0] != firstShown+" 1" {
		t.Errorf("the matrix's Tab stops are %v, want the first cell of %s", stop, firstShown)
	}
	secondShown := eval[string](t, ctx, `Array.from(document.querySelectorAll("#matrix tr.row")).filter(tr => !tr.hidden)[1].cells[0].textContent`)
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#matrix [tabindex='0']").focus()`),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.KeyEvent(kb.Enter),
	); err != nil {
		t.Fatal(err)
	}
	if h := eval[string](t, ctx, `document.getElementById("detail").hidden ? "" : document.getElementById("detail-h").textContent`); !strings.HasPrefix(h, secondShown+" → ") {
		t.Errorf("after ArrowDown and Enter the details are of %q, want %s", h, secondShown)
	}

	// The account of the last pair with that code, and the last part of its
	// repository's name, typed as a user types it, narrow further.
	var last diagnose.ScanPair
	for _, p := range rep.Pairs {
		if byCode(p) {
			last = p
		}
	}
	acct, q := last.Source.Account, last.Repository[strings.LastIndex(last.Repository, "/")+1:]
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("f-repo"), q)); err != nil {
		t.Fatal(err)
	}
	selectOption(t, ctx, "f-account", acct)
	narrow := func(p diagnose.ScanPair) bool {
		return byCode(p) && p.Source.Account == acct && strings.Contains(p.Repository, q)
	}
	rows, cells, causes = count(narrow)
	checkVisible(t, ctx, len(rows), cells, causes)
	var repos []string
	for _, g := range rep.RootCauses {
		for _, ref := range g.Pairs {
			if narrow(diagnose.ScanPair{Source: ref.Source, Repository: ref.Repository, RootCause: g.Code}) {
				repos = appendUniq(repos, ref.Repository)
			}
		}
	}
	if names := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("article.cause:not([hidden]) ul.names li:not([hidden]) .r")).map(li => li.textContent)`); !slices.Equal(uniq(names), repos) {
		t.Errorf("the root causes list %v, want %v", names, repos)
	}

	// Clearing shows everything again.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("f-reset"))); err != nil {
		t.Fatal(err)
	}
	checkVisible(t, ctx, rep.Summary.Repositories, rep.Summary.Pairs, len(rep.RootCauses))

	// The pointer on a failing cell gives it a tooltip with the pair's summary.
	var pair diagnose.ScanPair
	for _, p := range rep.Pairs {
		if p.RootCause == code {
			pair = p
			break
		}
	}
	cellJS := fmt.Sprintf(`Array.from(document.querySelectorAll("#matrix tbody")).find(tb => tb.dataset.account === %q).querySelectorAll("tr.row")[%d].cells[%d]`,
		pair.Source.Account, rowIndex(rep, pair), col[pair.Destination]+1)
	xy := eval[[]float64](t, ctx, `(() => { const td = `+cellJS+`; td.scrollIntoView({block: "center"}); const r = td.getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2]; })()`)
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	if tip, want := eval[string](t, ctx, cellJS+`.title`), pair.Repository+" → "+pair.Destination.String()+": failing ("+code+")\n"+pair.Summary; tip != want {
		t.Errorf("the cell's tooltip reads %q, want %q", tip, want)
	}

	// A click on a failing cell says the pair's root cause and links to its card.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`td.cell[data-code="`+code+`"]`))); err != nil {
		t.Fatal(err)
	}
	detail := eval[string](t, ctx, `document.getElementById("detail").hidden ? "" : document.getElementById("detail").innerText`)
	if !strings.Contains(detail, code) || !strings.Contains(detail, "failing") {
		t.Errorf("the cell's details read %q, want its verdict and %s", detail, code)
	}
	if c := eval[string](t, ctx, `document.querySelector(document.getElementById("detail-a").getAttribute("href")).dataset.code`); c != code {
		t.Errorf("the details link to a root cause of %s, want %s", c, code)
	}
	viewShot(t, ctx, "scan-report-detail.png")

	// Each destination's fix says what to do besides in each repository.
	steps := 0
	for _, f := range rep.Fixes {
		for _, rs := range f.RepositorySteps {
			steps += len(rs.Steps)
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll(".destfix details.repsteps li").length`); n != steps || steps == 0 {
		t.Errorf("the fixes list %d repository steps, the report has %d", n, steps)
	}

	// A copy button copies, or says to select and copy.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.destfix button.copy`))); err != nil {
		t.Fatal(err)
	}
	if s := eval[string](t, ctx, `new Promise(done => { const b = document.querySelector(".destfix button.copy"), t0 = Date.now();
		(function wait() { b.textContent !== "Copy" || Date.now() - t0 > 1000 ? done(b.textContent) : setTimeout(wait, 20); })(); })`, chromedp.EvalAwaitPromise); s != "Copied" {
		t.Errorf("after a click the copy button reads %q", s)
	}
	// The same page for a reader whose system is in dark mode.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "scan-report-dark.png")
	l.clean(t)
}

// rowIndex is the pair's row among its source's rows.
func rowIndex(rep *diagnose.ScanReport, pair diagnose.ScanPair) int {
	var repos []string
	for _, p := range rep.Pairs {
		if p.Source == pair.Source {
			repos = appendUniq(repos, p.Repository)
		}
	}
	return slices.Index(repos, pair.Repository)
}

// selectOption chooses an option of a filter as a user does: the value
// changes and the select fires "change".
func selectOption(t *testing.T, ctx context.Context, id, value string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; if (s.value !== %q) return false; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`, id, value, value)
	if !eval[bool](t, ctx, js) {
		t.Fatalf("the filter #%s has no option %q", id, value)
	}
}

// checkVisible counts the matrix rows shown, their cells that match the
// filters, and the root-cause cards shown.
func checkVisible(t *testing.T, ctx context.Context, rows, cells, causes int) {
	t.Helper()
	got := eval[[]int](t, ctx, `(() => {
		const shown = el => el.getClientRects().length > 0;
		const rows = Array.from(document.querySelectorAll("#matrix tr.row")).filter(shown);
		const cells = rows.flatMap(tr => Array.from(tr.querySelectorAll("td.cell:not(.dim):not(.v-none)")));
		return [rows.length, cells.length, Array.from(document.querySelectorAll("article.cause")).filter(shown).length];
	})()`)
	if want := []int{rows, cells, causes}; !slices.Equal(got, want) {
		t.Errorf("shown: %d rows, %d cells, %d root causes; want %d, %d, %d", got[0], got[1], got[2], rows, cells, causes)
	}
}

func firstDiff(got, want []string) string {
	var b strings.Builder
	n := 0
	for _, g := range got {
		if !slices.Contains(want, g) && n < 5 {
			fmt.Fprintf(&b, "  shown, not in the report: %s\n", g)
			n++
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) && n < 10 {
			fmt.Fprintf(&b, "  in the report, not shown: %s\n", w)
			n++
		}
	}
	return b.String()
}

func appendUniq(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func uniq(list []string) []string {
	var out []string
	for _, s := range list {
		out = appendUniq(out, s)
	}
	return out
}

// A thousand repositories × five destinations: every cell is there and a
// filter narrows them. The size of the page and the browser's times are
// logged (go test -v -run LargeInBrowser), not asserted.
func TestScanHTMLLargeInBrowser(t *testing.T) {
	page, rep := scanToHTML(t, generated(t, scangen.Spec{Sources: htmlSources[:1], Repos: 1000, Dests: htmlDests}))
	fi, err := os.Stat(page)
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	l := openPage(t, ctx, page, "#f-status:not(:empty)")
	if n := eval[int](t, ctx, `document.querySelectorAll("#matrix td.cell:not(.v-none)").length`); n != len(rep.Pairs) || n != 5000 {
		t.Errorf("the matrix shows %d cells, the report has %d pairs (want 5000)", n, len(rep.Pairs))
	}
	load := eval[[]float64](t, ctx, `(() => { const n = performance.getEntriesByType("navigation")[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()`)
	filter := eval[float64](t, ctx, `(() => { const s = document.getElementById("f-code"); const t0 = performance.now(); s.value = "PRINCIPAL_MISMATCH"; s.dispatchEvent(new Event("change")); return performance.now() - t0; })()`)
	t.Logf("1000 repositories × 5 destinations: %d bytes of HTML; DOMContentLoaded %.0f ms, load %.0f ms; a code filter %.0f ms", fi.Size(), load[0], load[1], filter)
	cells := 0
	for _, p := range rep.Pairs {
		if p.RootCause == diagnose.CodePrincipalMismatch {
			cells++
		}
	}
	checkVisible(t, ctx, cells, cells, 1)
	l.clean(t)
}

// Strings an attacker can influence (repository names, policy texts,
// CloudTrail messages, warnings) are shown as text: nothing in them becomes
// an element or runs, in a real browser.
func TestScanHTMLHostileStringsInBrowser(t *testing.T) {
	const evil = `</script><img src=x onerror="window.pwned=1;alert(1)"><script>window.pwned=2</script>`
	page := filepath.Join(t.TempDir(), "report.html")
	var b bytes.Buffer
	if err := render.ScanHTML(&b, hostileScanReport(evil)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	l := openPage(t, ctx, page, "#f-status:not(:empty)")
	if n := eval[int](t, ctx, `document.querySelectorAll("img").length`); n != 0 {
		t.Errorf("the page has %d img elements", n)
	}
	if n := eval[int](t, ctx, `document.scripts.length`); n != 1 {
		t.Errorf("the page has %d script elements, want its own only", n)
	}
	if v := eval[bool](t, ctx, `window.pwned !== undefined`); v {
		t.Error("an injected script ran")
	}
	// Open every fold, click the hostile cell: still nothing runs.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("details").forEach(d => d.open = true)`),
		chromedp.Click(chromedp.CSS(`td.cell.v-failing`)),
	); err != nil {
		t.Fatal(err)
	}
	text := eval[string](t, ctx, `document.body.innerText`)
	if n := strings.Count(text, evil); n < 5 {
		t.Errorf("the hostile string shows as text %d times, want it everywhere it was put (repository, summary, evidence, policy, warning...)", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("img").length`); n != 0 {
		t.Errorf("after opening the page's folds it has %d img elements", n)
	}
	l.clean(t)
	screenshot(t, ctx, "scan-report-hostile.png")
}

// hostileScanReport puts s everywhere a scan report carries a string that
// came from AWS or from a file: names, policies, CloudTrail messages,
// evidence sources, notes, warnings, and the fix.
func hostileScanReport(s string) *diagnose.ScanReport {
	src := diagnose.Location{Account: "111111111111", Region: "us-east-1"}
	dst := diagnose.Location{Account: "222222222222", Region: "us-east-1"}
	policy, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{"Sid": s, "Effect": "Allow"}}})
	ev := []diagnose.Evidence{
		{Kind: diagnose.EvidenceRegistryPolicy, Source: diagnose.Source{File: "snap/" + s + ".json"}, Text: s},
		{Kind: diagnose.EvidenceCloudTrailEvent, Source: diagnose.Source{Name: "CloudTrail " + s}, Text: "User: x is not authorized " + s, Time: "2026-11-26T10:00:00Z"},
	}
	fix := diagnose.Fix{RegistryPolicy: policy, AWSCLI: "aws ecr put-registry-policy --policy-text '" + s + "'", Terraform: "# " + s, Backfill: "# " + s, Steps: []string{"Step " + s, "`" + s + "`"}}
	finding := diagnose.Finding{Code: diagnose.CodePrincipalMismatch, Severity: diagnose.SeverityError, Destination: &dst, Summary: s, Detail: s, Evidence: ev, Fix: &fix}
	return &diagnose.ScanReport{
		FormatVersion: diagnose.ScanFormatVersion,
		CapturedAt:    "2026-11-26T10:00:00Z",
		Verdict:       diagnose.Failing,
		Summary:       diagnose.ScanSummary{Sources: 1, Repositories: 1, Pairs: 1, Failing: 1},
		Sources:       []diagnose.ScanSource{{Location: src, Verdict: diagnose.Failing, Rules: 1, RulesKnown: true, Repositories: 2, Covered: 1, NotCovered: []string{s}, Note: s}},
		Destinations:  []diagnose.ScanDestination{{Location: dst, CrossAccount: true}},
		Pairs: []diagnose.ScanPair{{Source: src, Repository: s, Destination: dst, Verdict: diagnose.Failing, RootCause: diagnose.CodePrincipalMismatch,
			Codes: []string{diagnose.CodePrincipalMismatch}, Summary: s, Findings: []diagnose.Finding{finding}}},
		RootCauses: []diagnose.ScanRootCause{{Code: diagnose.CodePrincipalMismatch, Severity: diagnose.SeverityError, Title: s, Destination: dst,
			Pairs: []diagnose.ScanPairRef{{Source: src, Repository: s}}, Summary: s, Evidence: ev, FixedBy: true}},
		Fixes: []diagnose.ScanFix{{Destination: dst, Codes: []string{diagnose.CodePrincipalMismatch}, Pairs: 1, Fix: fix,
			RepositorySteps: []diagnose.ScanRepositoryStep{{Source: src, Repository: s, Steps: []string{s}}}}},
		Warnings: []string{s, "`" + s + "`"},
	}
}

// The same strings, checked in the markup itself (no browser needed):
// every one is escaped, and the only script is the page's own.
func TestScanHTMLEscapesHostileStrings(t *testing.T) {
	const evil = `</script><img src=x onerror=alert(1)><b onmouseover=alert(2)>"'&`
	var b bytes.Buffer
	if err := render.ScanHTML(&b, hostileScanReport(evil)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<img", "<b ", "</script><"} {
		if strings.Contains(strings.ToLower(page), bad) {
			i := strings.Index(strings.ToLower(page), bad)
			t.Errorf("the page contains %q unescaped: ...%s...", bad, page[max(0, i-80):min(len(page), i+80)])
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("the page has %d <script elements, want 1 (its own)", n)
	}
	if n := strings.Count(page, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"); n < 10 {
		t.Errorf("the hostile string appears escaped %d times, want it in every place it was put", n)
	}
}

// Redirected (a file, a pipe), --output html without --out writes the page
// to stdout, as every other format does; with --out nothing goes to stdout.
func TestScanHTMLToStdoutWhenRedirected(t *testing.T) {
	code, stdout, stderr := run(t, "", "scan", "--snapshot", "../../fixtures/seed-grant-in-repository-policy", "--output", "html")
	if code != exitFindings || !strings.HasPrefix(stdout, "<!DOCTYPE html>") || !strings.Contains(stdout, "GRANT_IN_REPOSITORY_POLICY") {
		t.Fatalf("exit %d, stdout %.80q..., stderr %s", code, stdout, stderr)
	}
}

// A healthy scan and a scan that read nothing load as cleanly as a failing
// one, and say so: the script copes with a page without a matrix.
func TestScanHTMLHealthyAndEmptyInBrowser(t *testing.T) {
	healthy, _ := scanToHTMLExit(t, filepath.Join("..", "..", "fixtures", "healthy"), exitOK)
	empty := filepath.Join(t.TempDir(), "empty.html")
	var b bytes.Buffer
	if err := render.ScanHTML(&b, &diagnose.ScanReport{FormatVersion: diagnose.ScanFormatVersion, Verdict: diagnose.Unknown,
		Warnings: []string{"source registry 111111111111/us-east-1: replication rules unreadable (describe-registry): AccessDeniedException"}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	for _, tc := range []struct {
		page, verdict, says string
	}{
		{healthy, "healthy", "Every pair is healthy"},
		{empty, "unknown", "AccessDeniedException"},
	} {
		l := openPage(t, ctx, tc.page, "footer")
		if v := eval[string](t, ctx, `document.getElementById("verdict").textContent`); !strings.Contains(v, tc.verdict) {
			t.Errorf("%s: the verdict reads %q, want %s", filepath.Base(tc.page), v, tc.verdict)
		}
		if text := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(text, tc.says) {
			t.Errorf("%s: the page does not say %q", filepath.Base(tc.page), tc.says)
		}
		l.clean(t)
	}
}
