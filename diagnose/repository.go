package diagnose

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ErrNoSuchRepository is wrapped by CheckRepository's error: the source
// registry has no repository of the name asked about (a typo in --repo, or
// a deleted repository), so there is no replication to diagnose.
var ErrNoSuchRepository = errors.New("no such repository")

type noSuchRepository struct{ msg string }

func (e noSuchRepository) Error() string        { return e.msg }
func (e noSuchRepository) Is(target error) bool { return target == ErrNoSuchRepository }

// CheckRepository tells whether the source registry's describe-repositories,
// where it was read, shows s.Repository; where it was not read, it says
// nothing. Diagnosing a repository that does not exist would blame the
// destinations for it.
func CheckRepository(s *Snapshot) error {
	src := s.Registry(s.Source)
	if src == nil {
		return nil
	}
	r := src.Repositories
	switch {
	case r.ErrCode() == "RepositoryNotFoundException":
		return noSuchRepository{fmt.Sprintf("the source registry %s has no repository %s (%s, in %s)", s.Source, s.Repository, r.Err, r.Source)}
	case r.OK() && r.Value.NextToken == "":
		names := make([]string, 0, len(r.Value.Repositories))
		for _, repo := range r.Value.Repositories {
			names = append(names, repo.RepositoryName)
		}
		if slices.Contains(names, s.Repository) {
			return nil
		}
		return noSuchRepository{fmt.Sprintf("the source registry %s has no repository %s: %s lists %s", s.Source, s.Repository, r.Source, suggest(s.Repository, names))}
	}
	return nil
}

// suggest names the repositories closest to name, for "did you mean".
func suggest(name string, names []string) string {
	if len(names) == 0 {
		return "none"
	}
	// Case-insensitive: ECR names are lower case, a typo may not be.
	dist := func(n string) int { return EditDistance(strings.ToLower(name), n) }
	sort.SliceStable(names, func(i, j int) bool { return dist(names[i]) < dist(names[j]) })
	best := names[:min(3, len(names))]
	s := strings.Join(best, ", ") + moreThan(len(names), len(best))
	if dist(best[0]) <= max(2, len(name)/3) {
		s += "; did you mean " + best[0] + "?"
	}
	return s
}

func moreThan(all, shown int) string {
	if all > shown {
		return fmt.Sprintf(" and %d more", all-shown)
	}
	return ""
}
