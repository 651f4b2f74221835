"""GANvas studio launcher. Keep this file thin: the app is the `app/` package beside it.

    python app.py [--host H] [--port P] [--share] [--no-browser] [--device cpu|cuda]
    gradio app.py          # reload mode: gradio finds `demo` below
    (Hugging Face Space)   # README front matter `sdk: gradio`, `app_file: app.py`

Note: `import app` finds the package `app/`, not this file (a package wins over a module of the
same name). gradio's reload mode registers this file as the module "app" once it has started,
so every `app.*` module must already be imported by then: the package imports its modules at
module level only, never inside functions.
"""
import sys

from app.cli import create, launch

demo, args = create(sys.argv[1:] if __name__ == "__main__" else [])

if __name__ == "__main__":
    launch(demo, args)
