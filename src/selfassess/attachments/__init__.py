"""Evidence files, stored in the database so every worker and host sees the same files and a
database backup holds everything."""
