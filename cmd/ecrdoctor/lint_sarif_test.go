package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// sarifSchemaPath finds the SARIF 2.1.0 JSON schema named by $SARIF_SCHEMA.
// The schema is not part of this repository: .ci/run takes it from the npm
// package @microsoft/jest-sarif (lib/schemas/sarif-2.1.0-rtm.5.json, the
// schema of the 2.1.0 standard) and makes its absence a failure.
func sarifSchemaPath(t *testing.T) string {
	p := os.Getenv("SARIF_SCHEMA")
	if p == "" {
		if os.Getenv("ECRDOCTOR_REQUIRE_SARIF_SCHEMA") != "" {
			t.Fatal("the SARIF 2.1.0 schema is required (ECRDOCTOR_REQUIRE_SARIF_SCHEMA=1) but SARIF_SCHEMA is not set")
		}
		t.Skip("SARIF 2.1.0 schema not given: .ci/run sets SARIF_SCHEMA (npm pack @microsoft/jest-sarif, then lib/schemas/sarif-2.1.0-rtm.5.json)")
	}
	return p
}

func lintSARIF(t *testing.T, fixture string) []byte {
	t.Helper()
	code, stdout, stderr := run(t, "", "lint", "--output", "sarif", filepath.Join("..", "..", "fixtures", "terraform", fixture))
	if code != exitFindings && code != exitOK {
		t.Fatalf("lint %s: exit %d, stderr %s", fixture, code, stderr)
	}
	return []byte(stdout)
}

var sarifFixtures = []string{"seed-grant-in-repository-policy", "destination-not-in-configuration", "policy-duplicate-sid", "seed-published"}

// TestLintSARIFSchema validates lint's SARIF against the SARIF 2.1.0 JSON
// schema (santhosh-tekuri/jsonschema: draft-04 support, clear error paths).
func TestLintSARIFSchema(t *testing.T) {
	path := sarifSchemaPath(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range sarifFixtures {
		t.Run(fx, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(lintSARIF(t, fx)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("lint's SARIF is not valid SARIF 2.1.0:\n%v", err)
			}
		})
	}
	// The schema must be able to fail: a result without a message is invalid.
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"X"}]}]}`)))
	if sch.Validate(bad) == nil {
		t.Error("the schema accepted a result without a message")
	}
}

// TestLintSARIFShape checks, without the schema, what code scanning needs:
// every result names a rule of the driver by id and index, a level, a
// message, and a relative file URI with a start line.
func TestLintSARIFShape(t *testing.T) {
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(lintSARIF(t, "seed-grant-in-repository-policy"), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "ecrdoctor" {
		t.Fatalf("log = %+v", log)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(diagnose.Catalogue) {
		t.Errorf("%d rules, want one per catalogue code (%d)", len(run.Tool.Driver.Rules), len(diagnose.Catalogue))
	}
	if len(run.Results) != 3 {
		t.Fatalf("%d results, want 3", len(run.Results))
	}
	for _, r := range run.Results {
		if r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s: ruleIndex %d names another rule", r.RuleID, r.RuleIndex)
		}
		if r.Level != "error" || r.Message.Text == "" || len(r.Locations) != 1 {
			t.Errorf("result %+v", r)
			continue
		}
		pl := r.Locations[0].PhysicalLocation
		if filepath.IsAbs(pl.ArtifactLocation.URI) || pl.ArtifactLocation.URI == "" || pl.Region.StartLine < 1 {
			t.Errorf("result %s location %+v: want a relative URI and a start line", r.RuleID, pl)
		}
	}
}
