package collect_test

import (
	"context"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCapturePullThroughCache: a destination's pull-through cache rules are
// read with its own credentials only where its registry policy does not
// allow replication (the seed case has none), and kept field for field
// (moto has none: the harness's stand-in serves them). Where the registry
// policy allows it, they are not read: the common path keeps its calls.
func TestCapturePullThroughCache(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	env.Build(seedScenario(time.Now(), 0))
	env.Moto.PullThroughCache = map[string][]map[string]any{dst + "/" + srcReg: {{
		"ecrRepositoryPrefix": "from-src", "upstreamRegistryUrl": src + ".dkr.ecr." + srcReg + ".amazonaws.com", "upstreamRegistry": "ecr",
		"upstreamRepositoryPrefix": "ROOT", "registryId": dst, "customRoleArn": "arn:aws:iam::" + dst + ":role/EcrPullThroughCache",
		"createdAt": 1.79e9,
	}}}
	dir, stats, _ := runCapture(t, captureOpts(env))
	if n := env.Moto.Counts()["ecr:DescribePullThroughCacheRules"]; n != 1 {
		t.Errorf("%d pull-through cache reads, want 1 (the destination without a registry policy)", n)
	}
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := snap.Registry(crossAcctDest).PullThroughCache
	if !r.OK() || len(r.Value.Rules) != 1 {
		t.Fatalf("pull-through cache rules = %+v (warnings %q)", r, stats.Warnings)
	}
	if rule := r.Value.Rules[0]; rule.EcrRepositoryPrefix != "from-src" || rule.UpstreamRegistry != "ecr" || rule.UpstreamRepositoryPrefix != "ROOT" || rule.CustomRoleArn == "" || rule.CreatedAt == nil {
		t.Errorf("rule lost fields: %+v", rule)
	}
	rep, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatal(err)
	}
	if !hasCode(rep, diagnose.CodePullThroughCacheNotReplication) {
		t.Errorf("live diagnosis lacks %s: %+v", diagnose.CodePullThroughCacheNotReplication, rep.Findings)
	}

	healthy := awstest.New(t)
	s := seedScenario(time.Now(), 0)
	s.Destinations[crossAcctDest] = awstest.Destination{RepositoryExists: true, RegistryPolicy: awstest.ReplicationGrant(src, dst, srcReg, "my-")}
	healthy.Build(s)
	runCapture(t, captureOpts(healthy))
	if n := healthy.Moto.Counts()["ecr:DescribePullThroughCacheRules"]; n != 0 {
		t.Errorf("%d pull-through cache reads where the registry policy allows replication, want 0", n)
	}
}

func hasCode(r *diagnose.Report, code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}
