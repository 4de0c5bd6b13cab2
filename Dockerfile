# CX Copilot: one image for the API, the bot worker, migrations and the Chroma server.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 CXC_DATA_DIR=/data
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev
ENV PATH="/app/.venv/bin:$PATH"
VOLUME ["/data"]
EXPOSE 8000
CMD ["cxc", "serve", "--host", "0.0.0.0", "--port", "8000"]
