package terraform

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadHCL feeds arbitrary text to the HCL evaluation and the checks as
// one main.tf: they must report, never panic or hang.
func FuzzLoadHCL(f *testing.F) {
	for _, name := range []string{"seed-published", "seed-grant-in-repository-policy", "replication-too-many-destinations", "clean-policy-document", "registry-policy-in-other-region"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "terraform", name, "main.tf"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`locals { a = local.b
 b = local.a }
resource "aws_ecr_repository" "r" { count = 3
 name = "x${count.index}${local.a}" }`))
	f.Add([]byte(`module "m" { source = "./" }`))
	f.Add([]byte(`resource "aws_ecr_repository_policy" "p" { for_each = {a = 1} repository = each.key policy = jsonencode({Statement = [{Resource = "*"}]}) }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load([]string{dir}, Options{})
		if err != nil {
			if cfg == nil || len(cfg.Errors) == 0 {
				t.Fatalf("Load failed without naming the error: %v", err)
			}
			return
		}
		res := Lint(cfg)
		if res.Findings == nil || res.Warnings == nil {
			t.Fatal("nil lists in the result")
		}
	})
}
