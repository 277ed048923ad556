from __future__ import annotations

from demo.run import main

raise SystemExit(main())
