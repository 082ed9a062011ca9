// CSV export of stored history (RFC 4180: comma-separated, CRLF-free "\n" lines, fields quoted
// when they hold a comma, quote or line break). Each table starts with a header row; times are
// written twice, as RFC 3339 UTC with milliseconds and as Unix milliseconds, so a spreadsheet and
// a script can both read them. Pure functions, thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "store/records.h"
#include "store/resample.h"

namespace cpa::store {

std::string CsvField(std::string_view field);

// time,unix_ms,resource,value,text
std::string SamplesToCsv(std::span<const Sample> samples);
// time,unix_ms,value,count
std::string BucketsToCsv(std::span<const Bucket> buckets);
// time,unix_ms,target_replicas,prediction:<model>... (one column per model seen, sorted)
std::string EvaluationsToCsv(std::span<const EvaluationRow> rows);
// time,unix_ms,current_replicas,raw_target,stabilized_target,applied,run_type,error
std::string DecisionsToCsv(std::span<const DecisionRow> rows);

}  // namespace cpa::store
