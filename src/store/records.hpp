#pragma once
// What sshm records about a command, in SSM's vocabulary (Command, CommandInvocation,
// CommandPlugin). Times are ISO 8601 strings as SSM prints them; "" when unset.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::store {

struct PluginRecord {
  std::string name;         // step name (2.x) or property id (1.2)
  std::string plugin;       // e.g. aws:runShellScript
  std::string status = "Pending";  // Pending InProgress Success TimedOut Cancelled Failed Skipped
  std::string status_details = "Pending";
  int response_code = -1;
  std::string response_start_date_time;
  std::string response_finish_date_time;
  std::string output;              // SSM's 2500-char Output (stdout + ERROR + stderr)
  std::string stdout_path;         // full output, local file ("" when empty)
  std::string stderr_path;
  long long stdout_bytes = 0;
  long long stderr_bytes = 0;
  std::string standard_output_url;  // s3 URL when uploaded
  std::string standard_error_url;
};

struct InvocationRecord {
  std::string command_id;
  std::string instance_id;  // the host name
  std::string document_name;
  std::string status = "Pending";  // Pending InProgress Success Cancelled TimedOut Failed
                                    // Terminated DeliveryTimedOut Undeliverable
  std::string status_details = "Pending";
  int response_code = -1;
  std::string requested_date_time;
  std::string execution_start_date_time;
  std::string execution_end_date_time;
  std::string standard_output_content;  // truncated as SSM: 24000 chars
  std::string standard_error_content;   // 8000 chars
  std::string standard_output_url;
  std::string standard_error_url;
  std::string failure_kind;  // ssh failure kind when not delivered, else ""
  std::string failure_message;
  std::vector<PluginRecord> plugins;
};

struct CommandRecord {
  std::string command_id;
  std::string document_name;
  std::string document_version = "$DEFAULT";
  std::string comment;
  nlohmann::json parameters = nlohmann::json::object();  // name -> list of strings, as SSM
  std::vector<std::string> targets;  // the -t expressions as given
  std::string requested_date_time;
  std::string completed_date_time;
  std::string status = "Pending";
  std::string status_details = "Pending";
  int target_count = 0;
  int completed_count = 0;
  int error_count = 0;
  int delivery_timed_out_count = 0;
  std::string max_concurrency = "50";
  std::string max_errors = "0";
  int timeout_seconds = 0;
  std::string output_s3_bucket_name;
  std::string output_s3_key_prefix;
  std::string cloudwatch_log_group;  // "" when CloudWatch output is off
  std::string stop_reason;  // why dispatch stopped early, "" when it did not
};

} // namespace sshm::store
