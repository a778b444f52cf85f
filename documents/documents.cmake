# Built-in SSM command documents compiled into sshm. The document's name is the file name
# without its extension. Add a document: drop the file here and add one line below.
set(SSHM_BUILTIN_DOCUMENTS
  AWS-RunShellScript.json
  AWS-RunDocument.yaml
  AWS-RunRemoteScript.json
  AWS-Noop.json
  AWS-ConfigureAWSPackage.json
  AWS-RunPatchBaseline.json
  AWS-GatherSoftwareInventory.json
)
