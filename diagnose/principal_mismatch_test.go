package diagnose_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// withRegistryPolicy copies the principal-mismatch fixture and gives its
// destination 222222222222/ap-northeast-1 the registry policy statements.
func withRegistryPolicy(t *testing.T, statements ...map[string]any) *diagnose.Snapshot {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.Dir(), "principal-mismatch"))); err != nil {
		t.Fatal(err)
	}
	text, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{"registryId": "222222222222", "policyText": string(text)})
	if err := os.WriteFile(filepath.Join(dir, "222222222222", "ap-northeast-1", "get-registry-policy.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	return loadDir(t, dir, "my-repo")
}

func grantTo(sid, account string, extra map[string]any) map[string]any {
	st := map[string]any{"Sid": sid, "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"},
		"Action": []string{"ecr:ReplicateImage", "ecr:CreateRepository"}, "Resource": "arn:aws:ecr:ap-northeast-1:222222222222:repository/*"}
	for k, v := range extra {
		st[k] = v
	}
	return st
}

func finding(r *diagnose.Report, code string) *diagnose.Finding {
	for i := range r.Findings {
		if r.Findings[i].Code == code {
			return &r.Findings[i]
		}
	}
	return nil
}

// A registry policy shared by several sources holds grants for accounts
// other than this source: those are not this source's mistake. Only the
// statement that looks like a slip for the source (a one-digit typo) is
// cited, and the other account's grant is named as left alone.
func TestPrincipalMismatchCitesTheSlipNotOtherSourcesGrants(t *testing.T) {
	r := analyze(t, withRegistryPolicy(t,
		grantTo("FromPayments", "333333333333", nil),
		grantTo("FromPlatform", "111111111112", nil)))
	f := finding(r, diagnose.CodePrincipalMismatch)
	if f == nil {
		t.Fatalf("no PRINCIPAL_MISMATCH: %v", codes(r))
	}
	if strings.Contains(f.Summary, "FromPayments") || strings.Contains(f.Summary, "333333333333") {
		t.Errorf("summary blames another account's grant:\n%s", f.Summary)
	}
	if !strings.Contains(f.Summary, `"FromPlatform"`) || !strings.Contains(f.Detail, "a typo?") {
		t.Errorf("finding does not name the typo'd grant:\nsummary %s\ndetail %s", f.Summary, f.Detail)
	}
	if !strings.Contains(f.Detail, `"FromPayments" grants arn:aws:iam::333333333333:root, another account's grant`) {
		t.Errorf("detail does not say the other account's grant is left alone:\n%s", f.Detail)
	}
	for _, ev := range f.Evidence {
		if strings.Contains(ev.Text, "FromPayments") {
			t.Errorf("evidence cites the other account's grant: %s", ev.Text)
		}
	}
}

// When the source has its own statement and that statement is what fails
// (here a condition that never holds), another account's grant in the same
// policy is not a second finding.
func TestPrincipalMismatchSilentWhenTheSourceHasItsOwnStatement(t *testing.T) {
	r := analyze(t, withRegistryPolicy(t,
		grantTo("FromPayments", "333333333333", nil),
		grantTo("FromPlatform", "111111111111", map[string]any{"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "999999999999"}}})))
	got := codes(r)
	if slices.Contains(got, diagnose.CodePrincipalMismatch) {
		t.Errorf("codes %v: PRINCIPAL_MISMATCH for another account's grant, though the source's own statement is the problem", got)
	}
	if len(got) == 0 || got[0] != diagnose.CodeConditionNotSatisfied {
		t.Errorf("codes %v, want CONDITION_NOT_SATISFIED first", got)
	}
}

// When nothing in the policy is for the source, the grants to other
// accounts are the explanation: they are cited.
func TestPrincipalMismatchCitesOtherGrantsWhenNothingIsForTheSource(t *testing.T) {
	r := analyze(t, withRegistryPolicy(t, grantTo("FromPayments", "333333333333", nil)))
	f := finding(r, diagnose.CodePrincipalMismatch)
	if f == nil || !strings.Contains(f.Summary, "333333333333") {
		t.Fatalf("codes %v, finding %+v: want PRINCIPAL_MISMATCH citing the only grant", codes(r), f)
	}
}

// Two slips are one finding whose summary agrees with them.
func TestPrincipalMismatchTwoSlipsAgree(t *testing.T) {
	r := analyze(t, withRegistryPolicy(t,
		grantTo("Typo", "111111111112", nil),
		grantTo("Self", "222222222222", nil)))
	f := finding(r, diagnose.CodePrincipalMismatch)
	if f == nil {
		t.Fatalf("no PRINCIPAL_MISMATCH: %v", codes(r))
	}
	want := `Statement "Typo" and statement "Self" grant ecr:ReplicateImage to arn:aws:iam::111111111112:root, arn:aws:iam::222222222222:root, not to the source account 111111111111.`
	if f.Summary != want {
		t.Errorf("summary\n got %s\nwant %s", f.Summary, want)
	}
	if !strings.Contains(f.Detail, "222222222222 is the destination account itself") {
		t.Errorf("detail does not say one grant names the destination itself:\n%s", f.Detail)
	}
}
