SELECT
  eventID AS eventid,
  sharedEventID AS sharedeventid,
  eventTime AS eventtime,
  eventSource AS eventsource,
  eventName AS eventname,
  awsRegion AS awsregion,
  recipientAccountId AS recipientaccountid,
  errorCode AS errorcode,
  errorMessage AS errormessage,
  userIdentity.type AS useridentitytype,
  userIdentity.arn AS useridentityarn,
  userIdentity.accountid AS useridentityaccountid,
  userIdentity.invokedby AS useridentityinvokedby,
  userIdentity.principalid AS useridentityprincipalid,
  userIdentity.sessioncontext.sessionissuer.arn AS sessionissuerarn,
  array_join(transform(resources, r -> r.arn), ' ') AS resourcearns,
  element_at(requestParameters, 'repositoryName') AS repositoryname,
  element_at(requestParameters, 'registryId') AS registryid
FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE
WHERE recipientAccountId IN ('111111111111')
  AND awsRegion IN ('us-east-1', 'eu-west-1')
  AND eventTime >= '2024-05-01 00:00:00'
  AND eventTime < '2024-05-03 00:00:00'
  AND eventSource = 'ecr.amazonaws.com'
  AND eventName IN ('ReplicateImage', 'CreateRepository')
  AND (errorCode LIKE 'AccessDenied%' OR errorCode IN ('Client.UnauthorizedOperation', 'UnauthorizedOperation') OR (errorCode IS NOT NULL AND strpos(errorMessage, 'not authorized to perform') > 0))
  AND (element_at(requestParameters, 'repositoryName') = 'team/app' OR strpos(array_join(transform(resources, r -> r.arn), ' '), ':repository/team/app') > 0 OR strpos(errorMessage, ':repository/team/app') > 0)
ORDER BY eventTime DESC
