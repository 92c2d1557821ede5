package diagnose

import "encoding/json"

// Media types of an image index (a multi-platform image).
const (
	MediaTypeOCIIndex   = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// IsIndexMediaType reports whether an image's manifest media type is an
// image index.
func IsIndexMediaType(t string) bool { return t == MediaTypeOCIIndex || t == MediaTypeDockerList }

// BatchGetImageOutput is `aws ecr batch-get-image --image-ids
// imageDigest=D --accepted-media-types <index types>` for one image index of
// the source repository: its manifest names its children.
type BatchGetImageOutput struct {
	Images   []ImageManifest   `json:"images"`
	Failures []json.RawMessage `json:"failures,omitempty"`
}

// ImageManifest is one image's manifest.
type ImageManifest struct {
	RegistryID             string  `json:"registryId,omitempty"`
	RepositoryName         string  `json:"repositoryName"`
	ImageID                ImageID `json:"imageId"`
	ImageManifest          string  `json:"imageManifest"`
	ImageManifestMediaType string  `json:"imageManifestMediaType,omitempty"`
}

// IndexChild is one manifest an image index lists.
type IndexChild struct {
	Digest   string
	Platform string // os/architecture[/variant], "" when the index says none
}

// IndexChildren lists the manifests of an image index's manifest text.
func IndexChildren(manifest string) []IndexChild {
	var doc struct {
		Manifests []struct {
			Digest   string `json:"digest"`
			Platform *struct {
				OS           string `json:"os"`
				Architecture string `json:"architecture"`
				Variant      string `json:"variant"`
			} `json:"platform"`
		} `json:"manifests"`
	}
	if json.Unmarshal([]byte(manifest), &doc) != nil {
		return nil
	}
	var out []IndexChild
	for _, m := range doc.Manifests {
		c := IndexChild{Digest: m.Digest}
		if p := m.Platform; p != nil && p.OS != "" {
			c.Platform = p.OS + "/" + p.Architecture
			if p.Variant != "" {
				c.Platform += "/" + p.Variant
			}
		}
		out = append(out, c)
	}
	return out
}
