"""Campaign Management: what each partner may do with campaigns."""
