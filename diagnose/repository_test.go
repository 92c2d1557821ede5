package diagnose

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckRepository(t *testing.T) {
	src := Location{Account: "111111111111", Region: "ap-northeast-1"}
	snapWith := func(repos Read[DescribeRepositoriesOutput]) *Snapshot {
		reg := NewRegistry(src)
		reg.Repositories = repos
		return &Snapshot{Source: src, Repository: "my-repoo", Registries: map[Location]*Registry{src: reg}}
	}
	listed := Read[DescribeRepositoriesOutput]{State: Collected, Source: Source{File: "describe-repositories.json"}, Value: DescribeRepositoriesOutput{
		Repositories: []Repository{{RepositoryName: "platform/base"}, {RepositoryName: "my-repo"}, {RepositoryName: "other"}, {RepositoryName: "x"}},
	}}
	notFound := Read[DescribeRepositoriesOutput]{State: Failed, Source: Source{File: "describe-repositories.error.json"},
		Err: &APIError{Code: "RepositoryNotFoundException", Message: "The repository with name 'my-repoo' does not exist in the registry with id '111111111111'"}}
	denied := Read[DescribeRepositoriesOutput]{State: Failed, Err: &APIError{Code: "AccessDeniedException", Message: "no"}}
	for _, tc := range []struct {
		name  string
		repos Read[DescribeRepositoriesOutput]
		want  string // "" for no error
	}{
		{"listed without it", listed, "lists my-repo, other, x and 1 more; did you mean my-repo?"},
		{"not found by name", notFound, "has no repository my-repoo (RepositoryNotFoundException: The repository with name 'my-repoo' does not exist"},
		{"not readable: nothing said", denied, ""},
		{"not collected: nothing said", Read[DescribeRepositoriesOutput]{}, ""},
	} {
		err := CheckRepository(snapWith(tc.repos))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want no error", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrNoSuchRepository)):
			t.Errorf("%s: %v, want ErrNoSuchRepository saying %q", tc.name, err, tc.want)
		}
	}
	paged := listed
	paged.Value.NextToken = "page-2"
	if err := CheckRepository(snapWith(paged)); err != nil {
		t.Errorf("one page of several does not prove the repository missing: %v", err)
	}
	upper := snapWith(listed)
	upper.Repository = "PLATFORM/base"
	if err := CheckRepository(upper); err == nil || !strings.Contains(err.Error(), "did you mean platform/base?") {
		t.Errorf("upper-case typo: %v", err)
	}
	s := snapWith(listed)
	s.Repository = "platform/base"
	if err := CheckRepository(s); err != nil {
		t.Errorf("a listed repository: %v", err)
	}
}
