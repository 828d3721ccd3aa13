// Arrears pages work without this script; it only adds conveniences (see each section).
"use strict";
