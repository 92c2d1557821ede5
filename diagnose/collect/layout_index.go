package collect

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// An image index of the source repository whose replication status is
// COMPLETE somewhere: its manifest,
// DIR/<source>/<region>/batch-get-image/<repo>/<tag-or-digest>.json
// (aws ecr batch-get-image --repository-name <repo> --image-ids
// imageDigest=<digest> --accepted-media-types <the index media types>), and
// the replication status of each child it lists,
// DIR/<source>/<region>/image-index-children/<repo>/<child-digest>.json
// (aws ecr describe-image-replication-status --image-id
// imageDigest=<child-digest>), kept apart from the repository's own images.
const (
	IndexManifestDir = "batch-get-image"
	IndexChildrenDir = "image-index-children"
)

// IndexManifestName and IndexChildName are the call names of an index's
// manifest and of a child's replication status.
func IndexManifestName(repo, tagOrDigest string) string {
	return IndexManifestDir + "/" + repo + "/" + imageFileName(tagOrDigest)
}

func IndexChildName(repo, digest string) string {
	return IndexChildrenDir + "/" + repo + "/" + imageFileName(digest)
}

// isIndexCall reports whether name is an index manifest or a child's status.
func isIndexCall(name string) bool {
	for _, dir := range []string{IndexManifestDir, IndexChildrenDir} {
		if rest, ok := strings.CutPrefix(name, dir+"/"); ok {
			repo, image, found := cutLastSep(rest, "/")
			img := imageFromFileName(image)
			return found && awsid.IsRepositoryName(repo) && (awsid.IsImageTag(img) || awsid.IsImageDigest(img)) && (dir == IndexManifestDir || awsid.IsImageDigest(img))
		}
	}
	return false
}

func readIndexCall(reg *diagnose.Registry, name string, c *callFiles) error {
	dir, rest, _ := strings.Cut(name, "/")
	repo, image, _ := cutLastSep(rest, "/")
	img := imageFromFileName(image)
	if dir == IndexChildrenDir {
		r, err := readStatus(c, repo)
		if reg.IndexChildren[repo] == nil {
			reg.IndexChildren[repo] = map[string]diagnose.Read[diagnose.ReplicationStatusOutput]{}
		}
		reg.IndexChildren[repo][img] = r
		return err
	}
	r, err := readInto(c, func(v *diagnose.BatchGetImageOutput, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "images"); err != nil {
			return err
		}
		for i, m := range v.Images {
			if m.RepositoryName != "" && m.RepositoryName != repo {
				return fmt.Errorf("images[%d]: repositoryName is %q but the file is named for repository %q", i, m.RepositoryName, repo)
			}
		}
		return nil
	})
	if reg.IndexManifests[repo] == nil {
		reg.IndexManifests[repo] = map[string]diagnose.Read[diagnose.BatchGetImageOutput]{}
	}
	reg.IndexManifests[repo][img] = r
	return err
}
