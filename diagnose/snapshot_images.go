package diagnose

// DescribeImagesOutput is `aws ecr describe-images --repository-name R`
// in the source registry: when each image was pushed.
type DescribeImagesOutput struct {
	ImageDetails []ImageDetail `json:"imageDetails"`
	NextToken    string        `json:"nextToken,omitempty"`
}

// ImageDetail is one image of a repository.
type ImageDetail struct {
	RegistryID             string   `json:"registryId,omitempty"`
	RepositoryName         string   `json:"repositoryName,omitempty"`
	ImageDigest            string   `json:"imageDigest"`
	ImageTags              []string `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64    `json:"imageSizeInBytes,omitempty"`
	ImagePushedAt          *CLITime `json:"imagePushedAt,omitempty"`
	ImageManifestMediaType string   `json:"imageManifestMediaType,omitempty"`
	ArtifactMediaType      string   `json:"artifactMediaType,omitempty"`
	LastRecordedPullTime   *CLITime `json:"lastRecordedPullTime,omitempty"`
}
