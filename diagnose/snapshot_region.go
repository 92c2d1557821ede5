package diagnose

// RegionOptStatusOutput is `aws account get-region-opt-status
// --region-name R`: whether the account may use an opt-in region.
type RegionOptStatusOutput struct {
	RegionName      string `json:"RegionName"`
	RegionOptStatus string `json:"RegionOptStatus"`
}
