# Weft's guards around gojq's builtins. Every name starting with _weft_ is
# renamed to weft:… after parsing, a name no jq program can spell, so a
# program can neither call the unguarded originals nor redefine the guards.
# A program's own definitions still shadow these, as they shadow builtins.
#
# _weft_orig_X captures builtin X before the guarded X shadows it;
# _weft_check(name; args…) measures what X would build from its input and
# arguments and fails the run when that passes a limit, else returns its
# input unchanged.

# Binary operators: `a + b` is rewritten to _weft_add(a; b), a Go function
# (guards.go) that computes numbers itself and measures the rest before
# gojq's own operator builds it; `.x += b` calls _add by name.
def _add(a; b): _weft_add(a; b);
def _subtract(a; b): _weft_sub(a; b);
def _multiply(a; b): _weft_mul(a; b);
def _divide(a; b): _weft_div(a; b);

def _weft_orig_tostring: tostring;
def tostring: _weft_check("tostring") | _weft_orig_tostring;
def _weft_orig_tojson: tojson;
def tojson: _weft_check("tojson") | _weft_orig_tojson;
def _weft_orig_fromjson: fromjson;
def fromjson: _weft_check("fromjson") | _weft_orig_fromjson;
def _weft_orig_ascii_downcase: ascii_downcase;
def ascii_downcase: _weft_check("ascii_downcase") | _weft_orig_ascii_downcase;
def _weft_orig_ascii_upcase: ascii_upcase;
def ascii_upcase: _weft_check("ascii_upcase") | _weft_orig_ascii_upcase;
def _weft_orig_implode: implode;
def implode: _weft_check("implode") | _weft_orig_implode;
def _weft_orig_explode: explode;
def explode: _weft_check("explode") | _weft_orig_explode;
def _weft_orig_add0: add;
def add: _weft_check("add") | _weft_orig_add0;
def _weft_orig_flatten0: flatten;
def flatten: _weft_check("flatten") | _weft_orig_flatten0;
def _weft_orig_flatten1($d): flatten($d);
def flatten($d): _weft_check("flatten"; $d) | _weft_orig_flatten1($d);
def _weft_orig_transpose: transpose;
def transpose: _weft_check("transpose") | _weft_orig_transpose;
def _weft_orig_sort: sort;
def sort: _weft_check("sort") | _weft_orig_sort;
def _weft_orig_unique: unique;
def unique: _weft_check("unique") | _weft_orig_unique;
def _weft_orig_sort_by($x): _sort_by($x);
def _sort_by($x): _weft_check("sort"; $x) | _weft_orig_sort_by($x);
def _weft_orig_group_by($x): _group_by($x);
def _group_by($x): _weft_check("sort"; $x) | _weft_orig_group_by($x);
def _weft_orig_unique_by($x): _unique_by($x);
def _unique_by($x): _weft_check("sort"; $x) | _weft_orig_unique_by($x);
def _weft_orig_join($x): join($x);
def join($x): _weft_check("join"; $x) | _weft_orig_join($x);
def _weft_orig_split1($x): split($x);
def split($x): _weft_check("/"; .; $x) | _weft_orig_split1($x);
def _weft_orig_format($f): format($f);
def format($f): _weft_check("format"; $f) | _weft_orig_format($f);
def _weft_orig_strftime($f): strftime($f);
def strftime($f): _weft_check("strftime"; $f) | _weft_orig_strftime($f);
def _weft_orig_strflocaltime($f): strflocaltime($f);
def strflocaltime($f): _weft_check("strftime"; $f) | _weft_orig_strflocaltime($f);
def _weft_orig_setpath($p; $v): setpath($p; $v);
def setpath($p; $v): _weft_check("setpath"; $p) | _weft_orig_setpath($p; $v);
def _weft_orig_getpath($p): getpath($p);
def getpath($p): if _weft_check("path"; $p) then _weft_orig_getpath($p) else empty end;
def _weft_orig_match($re; $flags; $test): _match($re; $flags; $test);
def _match($re; $flags; $test): _weft_check("match"; $re; $flags; $test) | _weft_orig_match($re; $flags; $test);
def _weft_orig_tohtml: _tohtml;
def _tohtml: _weft_check("format"; "html") | _weft_orig_tohtml;
def _weft_orig_touri: _touri;
def _touri: _weft_check("format"; "uri") | _weft_orig_touri;
def _weft_orig_tourid: _tourid;
def _tourid: _weft_check("format"; "urid") | _weft_orig_tourid;
def _weft_orig_tocsv: _tocsv;
def _tocsv: _weft_check("format"; "csv") | _weft_orig_tocsv;
def _weft_orig_totsv: _totsv;
def _totsv: _weft_check("format"; "tsv") | _weft_orig_totsv;
def _weft_orig_tosh: _tosh;
def _tosh: _weft_check("format"; "sh") | _weft_orig_tosh;
def _weft_orig_tobase64: _tobase64;
def _tobase64: _weft_check("format"; "base64") | _weft_orig_tobase64;
def _weft_orig_tobase64d: _tobase64d;
def _tobase64d: _weft_check("format"; "base64d") | _weft_orig_tobase64d;

# gojq's own definitions (github.com/itchyny/gojq builtin.jq, MIT licence)
# of the builtins that build with the operators and functions above, so that
# they use the guarded ones.
def add(f): [f] | add;
def match($re):
  if $re | type == "array" then match($re[0]; $re[1]) else match($re; null) end;
def match($re; $flags): _match($re; $flags; false)[];
def test($re):
  if $re | type == "array" then test($re[0]; $re[1]) else test($re; null) end;
def test($re; $flags): _match($re; $flags; true);
def capture($re):
  if $re | type == "array" then capture($re[0]; $re[1]) else capture($re; null) end;
def capture($re; $flags): match($re; $flags) | .captures | _captures;
def scan($re): scan($re; null);
def scan($re; $flags):
  match($re; $flags + "g") |
  if .captures == [] then
    .string
  else
    [.captures[].string]
  end;
def splits($re; $flags):
  .[foreach (match($re; $flags + "g"), null) as {$offset, $length}
      (null; {start: .next, end: $offset, next: $offset + $length})];
def splits($re): splits($re; null);
def split($re; $flags): [splits($re; $flags)];
def sub($re; str): sub($re; str; null);
def sub($re; str; $flags):
  reduce match($re; $flags) as {$offset, $length, $captures}
    ({s: ., r: []};
      reduce ($captures | _captures | str) as $s
        (.i = 0; .r[.i] += .s[.next:$offset] + $s | .i += 1) |
      .next = $offset + $length) | .r[] + .s[.next:] // .s;
def gsub($re; str): sub($re; str; "g");
def gsub($re; str; $flags): sub($re; str; $flags + "g");
def INDEX(stream; idx_expr):
  reduce stream as $row ({}; .[$row | idx_expr | tostring] = $row);
def INDEX(idx_expr):
  INDEX(.[]; idx_expr);
.
