// Everything differentiable, in one include.
#pragma once
#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/linalg.h"
#include "autograd/ops/loss.h"
#include "autograd/ops/norm.h"
#include "autograd/ops/pooling.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape.h"
