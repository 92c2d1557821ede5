SELECT
  eventid,
  sharedeventid,
  eventtime,
  eventsource,
  eventname,
  awsregion,
  recipientaccountid,
  errorcode,
  errormessage,
  useridentity.type AS useridentitytype,
  useridentity.arn AS useridentityarn,
  useridentity.accountid AS useridentityaccountid,
  useridentity.invokedby AS useridentityinvokedby,
  useridentity.principalid AS useridentityprincipalid,
  useridentity.sessioncontext.sessionissuer.arn AS sessionissuerarn,
  array_join(transform(resources, r -> r.arn), ' ') AS resourcearns,
  json_extract_scalar(requestparameters, '$.repositoryName') AS repositoryname,
  json_extract_scalar(requestparameters, '$.registryId') AS registryid
FROM "security"."cloudtrail_logs_org"
WHERE eventsource = 'ecr.amazonaws.com'
  AND eventname IN ('ReplicateImage', 'CreateRepository')
ORDER BY eventtime DESC
-- parameters

