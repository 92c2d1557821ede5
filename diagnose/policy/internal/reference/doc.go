// Package reference is the policy evaluator as it was before policies were
// compiled at parse time, frozen: the differential tests of package policy
// check that the compiled evaluator decides and explains every request the
// same way. Change it only to follow a deliberate change of the evaluator's
// answers, in the same commit.
package reference
