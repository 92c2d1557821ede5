package awsid

import "testing"

// TestECRNames: the ECR API reference's grammars (CreateRepository
// repositoryName, RepositoryFilter filter; OCI tags and digests) refuse
// everything that could leave a folder or break out of a shell word.
func TestECRNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		is   func(string) bool
		ok   []string
		bad  []string
	}{
		{"repository", IsRepositoryName,
			[]string{"my-repo", "team/app", "a.b_c-d/e2", "ab"},
			[]string{"", "a", "..", "../x", "/abs", "team//app", "team/app/", "My-Repo", "a b", "a;rm", "$(id)", "x/../y", "a\\b"}},
		{"filter", IsRepositoryFilter,
			[]string{"my-", "team/", "prod"},
			[]string{"my-repo/*", "/x", "A1", "a'b"}},
		{"tag", IsImageTag,
			[]string{"latest", "v1.2.3", "_x", "A-b"},
			[]string{"", "..", ".hidden", "-x", "a/b", "a:b", "a b", "a'b"}},
		{"digest", IsImageDigest,
			[]string{"sha256:2eac0ea0d4e159b4f4099f43f9f09208ae8a1f47bdbd8065e300f28259109672"},
			[]string{"", "sha256", "sha256:../x", "sha256:a/b", ":abc", "sha256:a b"}},
	} {
		for _, s := range tc.ok {
			if !tc.is(s) {
				t.Errorf("%s %q refused, want accepted", tc.name, s)
			}
		}
		for _, s := range tc.bad {
			if tc.is(s) {
				t.Errorf("%s %q accepted, want refused", tc.name, s)
			}
		}
	}
}
