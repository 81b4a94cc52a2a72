/* parsweep — a parallel manager and parameter-sweep library for clusters.
 *
 * Include this one header. Link with parsweep::parsweep (CMake) or
 * `pkg-config --libs parsweep`. */
#ifndef PARSWEEP_H
#define PARSWEEP_H

#include "parsweep/collectives.h"
#include "parsweep/elastic.h"
#include "parsweep/error.h"
#include "parsweep/log.h"
#include "parsweep/manager.h"
#include "parsweep/process.h"
#include "parsweep/sched.h"
#include "parsweep/topology.h"
#include "parsweep/version.h"

#endif /* PARSWEEP_H */
