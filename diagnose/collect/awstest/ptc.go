package awstest

import "net/http"

// interceptPTC answers DescribePullThroughCacheRules from
// Moto.PullThroughCache, by "account/region" (moto has no pull-through
// cache).
func (m *Moto) interceptPTC(w http.ResponseWriter, r *http.Request, op string) bool {
	if op != "ecr:DescribePullThroughCacheRules" {
		return false
	}
	m.serveList(w, r, func() map[string][]map[string]any { return m.PullThroughCache }, "pullThroughCacheRules", false)
	return true
}
