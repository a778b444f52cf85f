// Feeds step outputs through the sinks as a run does, so the sinks can be tested end to
// end against moto without the scheduler. Each --step HOST,PLUGIN,STEP,STDOUT,STDERR names
// files whose contents are streamed (on_output, in chunks) and then reported done.
// Prints one JSON document: the plugin records (with output URLs) and the sink reports.
// Exit 0 when no sink failed, 1 otherwise.
#include "cli/sink_options.hpp"
#include "sinks/sinks.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

using namespace sshm;

int main(int argc, char** argv) {
  CLI::App app{"sink driver for the e2e tests"};
  sinks::SinkOptions options;
  std::string state_dir, command_id, document = "AWS-RunShellScript", status = "Success";
  std::vector<std::string> steps;
  std::string pause_file;
  size_t chunk_size = 1000;
  cli::add_sink_options(&app, options);
  app.add_option("--state-dir", state_dir)->required();
  app.add_option("--command-id", command_id)->required();
  app.add_option("--document", document);
  app.add_option("--status", status, "status of every invocation and of the command");
  app.add_option("--step", steps, "HOST,PLUGIN,STEP,STDOUT_FILE,STDERR_FILE")->required();
  app.add_option("--chunk-size", chunk_size, "0: do not stream, only report steps done");
  app.add_option("--pause-file", pause_file,
                 "after the first step, create FILE.ready and wait until FILE.go exists");
  CLI11_PARSE(app, argc, argv);
  options.state_dir = state_dir;

  try {
    auto sinks = sinks::make_sinks(options);
    std::string now = iso8601_ms(std::chrono::system_clock::now());
    store::CommandRecord command;
    command.command_id = command_id;
    command.document_name = document;
    command.requested_date_time = now;
    command.timeout_seconds = 3600;
    command.output_s3_bucket_name = options.s3_bucket;
    command.output_s3_key_prefix = options.s3_prefix;
    command.status = "InProgress";
    for (auto& s : sinks) s->on_command(command);

    nlohmann::json records = nlohmann::json::array();
    for (size_t n = 0; n < steps.size(); ++n) {
      auto parts = split(steps[n], ',');
      if (parts.size() != 5) throw InputError("--step needs HOST,PLUGIN,STEP,STDOUT_FILE,STDERR_FILE");
      sinks::StepOutput output{command_id, document, parts[0], parts[1], parts[2], parts[3], parts[4]};
      if (chunk_size > 0) {
        for (bool is_stderr : {false, true}) {
          std::ifstream in(is_stderr ? parts[4] : parts[3], std::ios::binary);
          std::string buffer(chunk_size, '\0');
          while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
            sinks::OutputChunk chunk{command_id, document, parts[0], parts[2], is_stderr,
                                     std::string_view(buffer.data(), static_cast<size_t>(in.gcount()))};
            for (auto& s : sinks) s->on_output(chunk);
          }
        }
      }
      store::PluginRecord record;
      record.name = parts[2];
      record.plugin = parts[1];
      record.status = status;
      for (auto& s : sinks) s->on_step_done(output, record);
      records.push_back({{"Host", parts[0]},
                         {"Name", record.name},
                         {"StandardOutputUrl", record.standard_output_url},
                         {"StandardErrorUrl", record.standard_error_url}});
      store::InvocationRecord invocation;
      invocation.command_id = command_id;
      invocation.instance_id = parts[0];
      invocation.document_name = document;
      invocation.requested_date_time = now;
      invocation.status = status;
      for (auto& s : sinks) s->on_invocation(invocation);
      if (n == 0 && !pause_file.empty()) {
        std::ofstream(pause_file + ".ready") << "ready\n";
        while (!std::filesystem::exists(pause_file + ".go")) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    command.status = status;
    for (auto& s : sinks) s->on_command(command);

    nlohmann::json reports = nlohmann::json::array();
    bool failed = false;
    for (auto& s : sinks) {
      sinks::SinkReport r = s->finish();
      failed = failed || r.failed;
      reports.push_back({{"Sink", r.sink}, {"Failed", r.failed}, {"Message", r.message}, {"Spooled", r.spooled}});
    }
    std::cout << nlohmann::json{{"Plugins", records}, {"Sinks", reports}}.dump(2) << "\n";
    return failed ? 1 : 0;
  } catch (const InputError& e) {
    std::cerr << "sink_driver: error: " << e.formatted() << "\n";
    return 2;
  }
}
