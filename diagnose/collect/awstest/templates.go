package awstest

import "net/http"

// interceptTemplates answers DescribeRepositoryCreationTemplates from
// Moto.Templates, by "account/region" (moto has no creation templates).
func (m *Moto) interceptTemplates(w http.ResponseWriter, r *http.Request, op string) bool {
	if op != "ecr:DescribeRepositoryCreationTemplates" {
		return false
	}
	m.serveList(w, r, func() map[string][]map[string]any { return m.Templates }, "repositoryCreationTemplates", true)
	return true
}

// serveList answers a read of the signer's registry with its list in
// lists() (by "account/region"; empty when none), under name, with the
// registryId when withRegistry.
func (m *Moto) serveList(w http.ResponseWriter, r *http.Request, lists func() map[string][]map[string]any, name string, withRegistry bool) {
	key, region, _ := signer(r)
	account := m.AccountOf(key)
	m.mu.Lock()
	list := lists()[account+"/"+region]
	m.mu.Unlock()
	if list == nil {
		list = []map[string]any{}
	}
	out := map[string]any{name: list}
	if withRegistry {
		out["registryId"] = account
	}
	writeJSON(w, 200, out)
}
