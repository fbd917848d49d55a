{%- set src = source('cvdw', 'reservas_condicoes') -%}
{%- set cols = cvdw_columns('cvdw', 'reservas_condicoes') -%}

with

renamed as (

    select
        {{ cvdw_column(cols, 'idreservascondicoes', 'bigint') }} as idcondicao,
        {{ cvdw_column(cols, 'idreserva', 'bigint') }} as idreserva,
        {{ cvdw_column(cols, 'idserie', 'bigint') }} as idserie,
        {{ cvdw_text(cvdw_column(cols, 'serie')) }} as serie,
        {{ cvdw_column(cols, 'parcela_quantidade', 'integer') }} as parcela_quantidade,
        {{ cvdw_numeric(cols, 'valor') }} as valor,
        {{ cvdw_numeric(cols, 'valor_com_juros') }} as valor_com_juros,
        {{ cvdw_numeric(cols, 'valor_sem_comissao') }} as valor_sem_comissao,
        {{ cvdw_date(cvdw_column(cols, 'vencimento')) }} as vencimento,
        {{ cvdw_text(cvdw_column(cols, 'portador')) }} as portador,
        {{ cvdw_text(cvdw_column(cols, 'indexador')) }} as indexador,
        coalesce({{ cvdw_bool(cvdw_column(cols, 'ativo')) }}, true) as is_ativo,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idcondicao) *
    from renamed
    where idcondicao is not null
    order by idcondicao, {{ cvdw_newest_first() }}

)

select * from final
