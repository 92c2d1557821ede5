package collect

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// DescribeImagesDir holds the source repository's images, when each was
// pushed: DIR/<source>/<region>/describe-images/<repo>.json
// (aws ecr describe-images --repository-name <repo>; '/' in a repo name
// nests folders).
const DescribeImagesDir = "describe-images"

// DescribeImagesName is the call name for a repository's images.
func DescribeImagesName(repo string) string { return DescribeImagesDir + "/" + repo }

func isImagesCall(name string) bool {
	repo, ok := strings.CutPrefix(name, DescribeImagesDir+"/")
	return ok && awsid.IsRepositoryName(repo)
}

// readImagesCall decodes one describe-images/<repo>.json into reg.
func readImagesCall(reg *diagnose.Registry, name string, c *callFiles) error {
	repo := strings.TrimPrefix(name, DescribeImagesDir+"/")
	r, err := readInto(c, func(v *diagnose.DescribeImagesOutput, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "imageDetails"); err != nil {
			return err
		}
		for i, d := range v.ImageDetails {
			if d.ImageDigest == "" {
				return fmt.Errorf("imageDetails[%d]: imageDigest is missing", i)
			}
			if d.RepositoryName != "" && d.RepositoryName != repo {
				return fmt.Errorf("imageDetails[%d]: repositoryName is %q but the file is named for repository %q", i, d.RepositoryName, repo)
			}
		}
		return nil
	})
	reg.Images[repo] = r
	return err
}
