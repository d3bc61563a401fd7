"""The whole company as one YAML document (`callctl project export|import`), and the wiring
of the services it spans. Above directory/ and schemes/: they know nothing of it.

A document is a mapping of sections (sections.py lists them, in the order they are
applied). A section the document leaves out is left as it is; entries a section leaves out
are kept unless the import is asked to `prune`. Adding a section (menus, voicemail, prompts,
queues) means writing one `Section` and putting it in that list.
"""
